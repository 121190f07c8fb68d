//! The naming rules that give fields their value types (`value_types` and `request_types` in
//! `common.yaml`).

use crate::kinds::ValueType;

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
    crate::meta::name_matches(name, names, suffixes)
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
}
