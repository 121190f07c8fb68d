//! Plain-text tables aligned by display width (Korean text takes two columns per character),
//! key/value lists and number formatting.

use kis_api::Decimal;
use kis_api::meta::ValueType;
use unicode_width::UnicodeWidthStr;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Alignment for a value type: numbers right, everything else left.
pub fn align_for(ty: ValueType) -> Align {
    match ty {
        ValueType::Decimal
        | ValueType::Price
        | ValueType::Amount
        | ValueType::Rate
        | ValueType::Quantity
        | ValueType::Integer => Align::Right,
        _ => Align::Left,
    }
}

/// A table: a header row and rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

/// Longest cell shown; longer ones are cut with `…` (the JSON output keeps them whole).
const MAX_CELL: usize = 48;

fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` display columns.
fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Control characters (a hostile server could send terminal escapes) shown as spaces.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Like [`clean`], but keeps line breaks: for messages of several lines.
pub fn clean_lines(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

impl Table {
    /// A table with these headers, every column left-aligned.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            align: vec![Align::Left; headers.len()],
            rows: Vec::new(),
        }
    }

    /// A table with owned headers and alignments.
    pub fn with_columns(columns: Vec<(String, Align)>) -> Table {
        let (headers, align) = columns.into_iter().unzip();
        Table {
            headers,
            align,
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank, extra ones dropped).
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as text, one line per row, columns separated by two spaces.
    pub fn render(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| cut(&clean(c), MAX_CELL)).collect())
            .collect();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &cells {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(width(c));
            }
        }
        let line = |cells: &[String], out: &mut String| {
            out.push_str(&pad_row(
                cells.iter().map(String::as_str),
                &widths,
                &self.align,
            ));
            out.push('\n');
        };
        let mut out = String::new();
        line(&self.headers, &mut out);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, &mut out);
        for r in &cells {
            line(r, &mut out);
        }
        out
    }
}

/// One line of a table: cells padded to `widths` by display width and aligned, two spaces apart,
/// without trailing blanks. Cells are shown as given (clean them first).
pub fn pad_row<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    widths: &[usize],
    align: &[Align],
) -> String {
    let mut out = String::new();
    for (i, c) in cells.into_iter().enumerate() {
        let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(width(c));
        if i > 0 {
            out.push_str("  ");
        }
        match align.get(i).copied().unwrap_or(Align::Left) {
            Align::Right => {
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            }
            Align::Left => {
                out.push_str(c);
                out.push_str(&" ".repeat(pad));
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// A key/value list: keys padded to one width.
pub fn key_values(pairs: &[(String, String)]) -> String {
    let w = pairs.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(k);
        out.push_str(&" ".repeat(w.saturating_sub(width(k)) + 2));
        out.push_str(&clean(v));
        out.push('\n');
    }
    out
}

/// A section heading preceded by a blank line.
pub fn heading(title: &str) -> String {
    format!("\n{title}\n")
}

/// `71900` as `71,900`; `-1234.5` as `-1,234.5`.
pub fn thousands(d: Decimal) -> String {
    let s = d.normalize().to_string();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An optional number, `-` when absent.
pub fn num(d: Option<Decimal>) -> String {
    d.map(thousands).unwrap_or_else(|| "-".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_text_aligns_by_display_width() {
        let mut t = Table::with_columns(vec![
            ("이름".to_string(), Align::Left),
            ("n".to_string(), Align::Right),
        ]);
        t.row(vec!["삼성전자".to_string(), "1".to_string()]);
        t.row(vec!["ab".to_string(), "100".to_string()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "삼성전자    1");
        assert_eq!(lines[3], "ab        100");
        assert_eq!(width(lines[0]), width(lines[2]));
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(thousands(Decimal::new(71900, 0)), "71,900");
        assert_eq!(thousands(Decimal::new(-12345, 1)), "-1,234.5");
        assert_eq!(thousands(Decimal::new(100, 0)), "100");
        assert_eq!(thousands(Decimal::new(1_234_567, 0)), "1,234,567");
    }

    #[test]
    fn long_cells_are_cut_and_escapes_removed() {
        assert_eq!(cut("가나다라", 5), "가나…");
        assert_eq!(clean("a\u{1b}[2Jb"), "a [2Jb");
        assert_eq!(clean_lines("a\u{1b}\nb"), "a \nb");
    }
}
