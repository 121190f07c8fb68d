//! Rust names for catalog names: `heck` for the case, raw identifiers for keywords.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words Rust reserves; a field with one of these names becomes `r#name`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// `CTX_AREA_FK100` -> `ctx_area_fk100`; a leading digit gets an `n` in front.
pub fn snake(name: &str) -> String {
    let s = name.to_snake_case();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{s}")
    } else {
        s
    }
}

/// `inquire_balance` -> `InquireBalance`; a leading digit gets a `N` in front.
pub fn pascal(name: &str) -> String {
    let s = name.to_upper_camel_case();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{s}")
    } else {
        s
    }
}

/// Whether `name` is a Rust keyword.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// The identifier text for a field or module called `snake`: `type` -> `r#type`, `self` -> `self_`.
pub fn field_ident(snake: &str) -> String {
    if NOT_RAW.contains(&snake) {
        format!("{snake}_")
    } else if is_keyword(snake) {
        format!("r#{snake}")
    } else {
        snake.to_string()
    }
}

/// Whether `s` is usable as a Rust identifier after escaping (ASCII letters, digits, `_`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_keywords() {
        assert_eq!(snake("CTX_AREA_FK100"), "ctx_area_fk100");
        assert_eq!(snake("tot_ccld_qty_SMTL"), "tot_ccld_qty_smtl");
        assert_eq!(snake("excg_id_dvsn_Cd"), "excg_id_dvsn_cd");
        assert_eq!(pascal("output1"), "Output1");
        assert_eq!(pascal("Output1"), "Output1");
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("pdno"), "pdno");
        assert_eq!(snake("2nd_value"), "n2nd_value");
        assert!(is_identifier("d2_auto_rdpt_amt"));
        assert!(!is_identifier("매도"));
    }
}
