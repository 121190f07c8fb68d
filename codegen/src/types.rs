//! The closed set of value types and the naming rules that assign them.

use std::fmt;

/// What a field holds. Every KIS value travels as a string; this says how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// Free text (names, messages).
    Text,
    /// A code or identifier (product numbers, order numbers, classification codes).
    Code,
    /// An exact decimal without a more specific meaning (ratios, greeks, index values).
    Decimal,
    /// A price (exact decimal).
    Price,
    /// A money amount (exact decimal).
    Amount,
    /// A rate or percentage (exact decimal).
    Rate,
    /// A quantity of shares, contracts or volume (integer).
    Quantity,
    /// A count or other integer.
    Integer,
    /// A date, `YYYYMMDD`.
    Date,
    /// A time of day, `HHMMSS`.
    Time,
    /// A date and time, `YYYYMMDDHHMMSS` (more digits are fractions of a second).
    DateTime,
    /// `Y` or `N`.
    YesNo,
}

impl ValueType {
    /// Every type, in declaration order.
    pub const ALL: [ValueType; 12] = [
        ValueType::Text,
        ValueType::Code,
        ValueType::Decimal,
        ValueType::Price,
        ValueType::Amount,
        ValueType::Rate,
        ValueType::Quantity,
        ValueType::Integer,
        ValueType::Date,
        ValueType::Time,
        ValueType::DateTime,
        ValueType::YesNo,
    ];

    /// The name used in catalog files.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Code => "code",
            ValueType::Decimal => "decimal",
            ValueType::Price => "price",
            ValueType::Amount => "amount",
            ValueType::Rate => "rate",
            ValueType::Quantity => "quantity",
            ValueType::Integer => "integer",
            ValueType::Date => "date",
            ValueType::Time => "time",
            ValueType::DateTime => "datetime",
            ValueType::YesNo => "yes_no",
        }
    }

    /// Parses a catalog type name.
    pub fn parse(name: &str) -> Option<ValueType> {
        ValueType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the value is kept as a string.
    pub fn is_textual(self) -> bool {
        matches!(self, ValueType::Text | ValueType::Code)
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Compiled naming rules: the first rule that matches a field name gives its type.
#[derive(Debug, Clone)]
pub struct TypeRuleSet {
    default: ValueType,
    rules: Vec<TypeRule>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct TypeRule {
    /// Type given to matching names.
    pub ty: ValueType,
    /// Whole names matched.
    pub names: Vec<String>,
    /// Last name segments matched.
    pub suffixes: Vec<String>,
}

impl TypeRuleSet {
    /// Builds a rule set.
    pub fn new(default: ValueType, rules: Vec<TypeRule>) -> Self {
        TypeRuleSet { default, rules }
    }

    /// The type of a field called `name`, and the index of the rule that decided it
    /// (`None` when the default applied).
    pub fn classify(&self, name: &str) -> (ValueType, Option<usize>) {
        let lower = name.to_ascii_lowercase();
        let stem = rule_stem(&lower);
        let last = stem.rsplit('_').next().unwrap_or(stem);
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.names.iter().any(|n| n == stem || *n == lower) {
                return (rule.ty, Some(i));
            }
            if rule.suffixes.iter().any(|s| s == last) {
                return (rule.ty, Some(i));
            }
        }
        (self.default, None)
    }
}

/// Whether `name` matches any of `names` (whole) or `suffixes` (last segment), compared the way
/// the type rules compare.
pub fn name_matches(name: &str, names: &[String], suffixes: &[String]) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = rule_stem(&lower);
    let last = stem.rsplit('_').next().unwrap_or(stem);
    names.iter().any(|n| n == stem || *n == lower) || suffixes.iter().any(|s| s == last)
}

/// `askp_rsqn10` -> `askp_rsqn`, `bid_qntt_1` -> `bid_qntt`: trailing digits and the underscore
/// before them are not part of what a field is.
fn rule_stem(lower: &str) -> &str {
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit());
    let trimmed = trimmed.trim_end_matches('_');
    if trimmed.is_empty() { lower } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> TypeRuleSet {
        TypeRuleSet::new(
            ValueType::Text,
            vec![
                TypeRule {
                    ty: ValueType::Code,
                    names: vec!["pdno".into()],
                    suffixes: vec![],
                },
                TypeRule {
                    ty: ValueType::Quantity,
                    names: vec![],
                    suffixes: vec!["qty".into(), "rsqn".into()],
                },
                TypeRule {
                    ty: ValueType::YesNo,
                    names: vec![],
                    suffixes: vec!["yn".into()],
                },
            ],
        )
    }

    #[test]
    fn names_win_and_trailing_digits_are_ignored() {
        let r = rules();
        assert_eq!(r.classify("PDNO"), (ValueType::Code, Some(0)));
        assert_eq!(r.classify("askp_rsqn10"), (ValueType::Quantity, Some(1)));
        assert_eq!(
            r.classify("seln_mbcr_glob_yn_1"),
            (ValueType::YesNo, Some(2))
        );
        assert_eq!(r.classify("hts_kor_isnm"), (ValueType::Text, None));
    }

    #[test]
    fn type_names_round_trip() {
        for t in ValueType::ALL {
            assert_eq!(ValueType::parse(t.name()), Some(t));
        }
        assert_eq!(ValueType::parse("float"), None);
    }
}
