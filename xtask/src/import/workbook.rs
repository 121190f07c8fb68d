//! Reads KIS's full-document workbook (`한국투자증권_오픈API_전체문서_<date>.xlsx`): the
//! `API 목록` sheet (one row per API: protocol, menu, name, API ID, real and demo TR IDs, method,
//! URL) and one sheet per API (the same facts on top, then the layout: request header,
//! query/body fields, response header and body with its blocks, then examples).
//!
//! The workbook is untrusted input: every problem is a [`WorkbookError`] naming the sheet and
//! the cell, and sizes are bounded. The examples at the bottom of each sheet are never read.

use std::fmt;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};

/// Largest workbook read; KIS's is about 1.3 MB.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most sheets read; KIS's has 339.
const MAX_SHEETS: usize = 2_000;
/// Most rows of one sheet; KIS's longest layout has a few hundred.
const MAX_ROWS: u32 = 20_000;
/// Longest name, label, type, Required or Length cell.
const MAX_SHORT_CELL: usize = 300;
/// Longest description cell.
const MAX_DESCRIPTION: usize = 64 << 10;

/// The sheet that lists every API.
pub const LIST_SHEET: &str = "API 목록";

/// Why a workbook cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkbookError {
    /// The file cannot be opened or is not an xlsx workbook.
    Open {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The file is larger than a workbook of KIS's would be.
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
    },
    /// A sheet the layout needs is missing.
    MissingSheet {
        /// The sheet.
        sheet: String,
    },
    /// A sheet cannot be read.
    Sheet {
        /// The sheet.
        sheet: String,
        /// Why.
        reason: String,
    },
    /// A header cell does not say what the layout expects.
    Header {
        /// The sheet.
        sheet: String,
        /// The cell (`A1`).
        cell: String,
        /// What the cell should say.
        expected: String,
        /// What it says.
        found: String,
    },
    /// A cell holds something the layout does not allow.
    Cell {
        /// The sheet.
        sheet: String,
        /// The cell (`A1`).
        cell: String,
        /// What is wrong.
        problem: String,
    },
    /// More sheets or rows than a workbook of KIS's has.
    TooMany {
        /// The sheet (empty for the workbook).
        sheet: String,
        /// What: sheets or rows.
        what: &'static str,
        /// How many there are.
        count: usize,
    },
}

impl fmt::Display for WorkbookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkbookError::Open { file, reason } => {
                write!(f, "{file}: not a readable xlsx workbook: {reason}")
            }
            WorkbookError::TooLarge { file, bytes } => {
                write!(
                    f,
                    "{file}: {bytes} bytes, more than a workbook of KIS's holds (at most {MAX_FILE_BYTES})"
                )
            }
            WorkbookError::MissingSheet { sheet } => {
                write!(f, "no sheet '{sheet}' in the workbook")
            }
            WorkbookError::Sheet { sheet, reason } => write!(f, "sheet '{sheet}': {reason}"),
            WorkbookError::Header {
                sheet,
                cell,
                expected,
                found,
            } => write!(
                f,
                "sheet '{sheet}', cell {cell}: expected the header '{expected}', found '{found}'"
            ),
            WorkbookError::Cell {
                sheet,
                cell,
                problem,
            } => {
                write!(f, "sheet '{sheet}', cell {cell}: {problem}")
            }
            WorkbookError::TooMany { sheet, what, count } if sheet.is_empty() => {
                write!(f, "the workbook has {count} {what}, more than KIS's would")
            }
            WorkbookError::TooMany { sheet, what, count } => {
                write!(
                    f,
                    "sheet '{sheet}' has {count} {what}, more than KIS's would"
                )
            }
        }
    }
}

impl std::error::Error for WorkbookError {}

/// What a response block holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockShape {
    /// One object.
    Object,
    /// A list of objects.
    Array,
}

/// One layout row: a request input, response field or realtime column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Element as sent.
    pub name: String,
    /// 한글명.
    pub label: String,
    /// Type as written (`string`, `number`, `object`, `object array`, `array`).
    pub ty: String,
    /// Required = `Y`.
    pub required: bool,
    /// Length, when it is a number.
    pub length: Option<u32>,
    /// Description.
    pub description: String,
}

/// A response block: the fields under one `object`/`array` row (or the top-level fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's key; `None` for fields outside any block.
    pub name: Option<String>,
    /// Its label.
    pub label: String,
    /// Object or array (`None` for top-level fields).
    pub shape: Option<BlockShape>,
    /// Its fields.
    pub fields: Vec<Row>,
}

/// One API as the workbook describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Api {
    /// Its sheet; `None` when only the list has it.
    pub sheet: Option<String>,
    /// API 명.
    pub name: String,
    /// API ID (`v1_국내주식-008`).
    pub api_code: Option<String>,
    /// 메뉴 위치 (`[국내주식] 기본시세`).
    pub menu: Option<String>,
    /// Whether it is a WebSocket subscription.
    pub websocket: bool,
    /// HTTP method as written.
    pub method: String,
    /// URL 명.
    pub url: String,
    /// Real TR IDs.
    pub real: Vec<String>,
    /// Demo TR IDs (empty: 모의투자 미지원).
    pub demo: Vec<String>,
    /// Query or body inputs, in order.
    pub inputs: Vec<Row>,
    /// Response body: the top-level fields first, then the blocks, in order (REST).
    pub blocks: Vec<Block>,
    /// Realtime columns, in order (WebSocket).
    pub columns: Vec<Row>,
}

/// The whole workbook.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    /// Every API, in the list's order.
    pub apis: Vec<Api>,
}

/// The envelope every response carries; the catalog keeps it in common.yaml.
const ENVELOPE: [&str; 3] = ["rt_cd", "msg_cd", "msg1"];

/// The TR IDs a cell names (`(예약취소) CTSC0009U (예약정정) CTSC0013U` names two; `모의투자
/// 미지원` none).
pub fn tr_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let id = word.len() >= 6
            && word.len() <= 16
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_uppercase());
        if id && !out.iter().any(|x| x == word) {
            out.push(word.to_string());
        }
    }
    out
}

/// `A1` name of a zero-based cell.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// One sheet's cells, read as text.
struct Sheet<'a> {
    name: &'a str,
    range: &'a Range<Data>,
}

impl Sheet<'_> {
    /// Text of a cell (trimmed); numbers read as written, an empty or absent cell as "".
    fn text(&self, row: u32, col: u32, max: usize) -> Result<String, WorkbookError> {
        let problem = |problem: String| WorkbookError::Cell {
            sheet: self.name.to_string(),
            cell: cell_name(row, col),
            problem,
        };
        let text = match self.range.get_value((row, col)) {
            None | Some(Data::Empty) => String::new(),
            Some(Data::String(s)) => s.trim().to_string(),
            Some(Data::Int(i)) => i.to_string(),
            Some(Data::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Some(Data::Float(f)) => f.to_string(),
            Some(Data::Bool(b)) => b.to_string(),
            Some(Data::Error(e)) => return Err(problem(format!("an error value ({e})"))),
            Some(other) => {
                return Err(problem(format!(
                    "a date or duration ({other}) where text belongs"
                )));
            }
        };
        if text.len() > max {
            return Err(problem(format!(
                "{} bytes, more than such a cell holds (at most {max})",
                text.len()
            )));
        }
        Ok(text)
    }

    fn rows(&self) -> std::ops::Range<u32> {
        match (self.range.start(), self.range.end()) {
            (Some((first, _)), Some((last, _))) => first..last + 1,
            _ => 0..0,
        }
    }

    fn header(&self, row: u32, col: u32, expected: &str) -> Result<(), WorkbookError> {
        let found = self.text(row, col, MAX_SHORT_CELL)?;
        if found == expected {
            Ok(())
        } else {
            Err(WorkbookError::Header {
                sheet: self.name.to_string(),
                cell: cell_name(row, col),
                expected: expected.to_string(),
                found,
            })
        }
    }
}

/// Reads the workbook at `path`.
pub fn read(path: &Path) -> Result<Workbook, WorkbookError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| WorkbookError::Open {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(WorkbookError::TooLarge {
            file,
            bytes: meta.len(),
        });
    }
    let mut book: Xlsx<_> =
        calamine::open_workbook(path).map_err(|e: calamine::XlsxError| WorkbookError::Open {
            file: file.clone(),
            reason: e.to_string(),
        })?;
    let names = book.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(WorkbookError::TooMany {
            sheet: String::new(),
            what: "sheets",
            count: names.len(),
        });
    }
    let mut ranges = Vec::with_capacity(names.len());
    for name in names {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| WorkbookError::Sheet {
                sheet: name.clone(),
                reason: e.to_string(),
            })?;
        let rows = range.height();
        if rows > MAX_ROWS as usize {
            return Err(WorkbookError::TooMany {
                sheet: name,
                what: "rows",
                count: rows,
            });
        }
        ranges.push((name, range));
    }
    from_sheets(&ranges)
}

/// Reads the APIs of the sheets read from a workbook (name, cells), in the workbook's order.
pub fn from_sheets(sheets: &[(String, Range<Data>)]) -> Result<Workbook, WorkbookError> {
    let Some((_, list)) = sheets.iter().find(|(n, _)| n == LIST_SHEET) else {
        return Err(WorkbookError::MissingSheet {
            sheet: LIST_SHEET.to_string(),
        });
    };
    let list = Sheet {
        name: LIST_SHEET,
        range: list,
    };
    let mut apis = read_list(&list)?;
    for (name, range) in sheets.iter().filter(|(n, _)| n != LIST_SHEET) {
        let sheet = Sheet { name, range };
        let api = read_sheet(&sheet)?;
        // the list row of the same API (sheet names are shortened, so match by name and URL)
        match apis
            .iter_mut()
            .find(|a| a.sheet.is_none() && a.name == api.name && a.url == api.url)
        {
            Some(listed) => {
                listed.sheet = api.sheet;
                push_new(&mut listed.real, api.real);
                push_new(&mut listed.demo, api.demo);
                listed.inputs = api.inputs;
                listed.blocks = api.blocks;
                listed.columns = api.columns;
            }
            None => apis.push(api),
        }
    }
    Ok(Workbook { apis })
}

/// Columns of the list sheet, by header.
const LIST_HEADERS: [&str; 7] = [
    "메뉴 위치",
    "API 명",
    "API ID",
    "실전 TR_ID",
    "모의 TR_ID",
    "HTTP Method",
    "URL 명",
];

fn read_list(list: &Sheet) -> Result<Vec<Api>, WorkbookError> {
    let rows = list.rows();
    let top = rows.start;
    // each header in its own column of the first row
    let width = list.range.end().map_or(0, |(_, c)| c + 1);
    let mut cols = [0u32; LIST_HEADERS.len()];
    for (i, header) in LIST_HEADERS.iter().enumerate() {
        let mut found = None;
        for c in 0..width.min(64) {
            if list.text(top, c, MAX_SHORT_CELL)? == *header {
                found = Some(c);
                break;
            }
        }
        cols[i] = found.ok_or_else(|| WorkbookError::Header {
            sheet: list.name.to_string(),
            cell: cell_name(top, i as u32 + 1),
            expected: header.to_string(),
            found: list
                .text(top, i as u32 + 1, MAX_SHORT_CELL)
                .unwrap_or_default(),
        })?;
    }
    let [menu, name, code, real, demo, method, url] = cols;
    let mut apis = Vec::new();
    for r in rows.skip(1) {
        let name = list.text(r, name, MAX_SHORT_CELL)?;
        if name.is_empty() {
            continue;
        }
        let url = list.text(r, url, MAX_SHORT_CELL)?;
        if url.is_empty() {
            return Err(WorkbookError::Cell {
                sheet: list.name.to_string(),
                cell: cell_name(r, cols[6]),
                problem: format!("API '{name}' has no URL"),
            });
        }
        apis.push(Api {
            sheet: None,
            websocket: is_subscription(&url),
            menu: Some(list.text(r, menu, MAX_SHORT_CELL)?).filter(|m| !m.is_empty()),
            api_code: Some(list.text(r, code, MAX_SHORT_CELL)?).filter(|m| !m.is_empty()),
            real: tr_ids(&list.text(r, real, MAX_SHORT_CELL)?),
            demo: tr_ids(&list.text(r, demo, MAX_SHORT_CELL)?),
            method: list.text(r, method, MAX_SHORT_CELL)?,
            name,
            url,
            ..Api::default()
        });
    }
    Ok(apis)
}

/// Whether an API is a WebSocket subscription: its URL is `/tryitout/<TR ID>`. The protocol
/// column is not enough: KIS labels the approval-key call (HTTP) `WEBSOCKET` and two market
/// status feeds `REST`.
fn is_subscription(url: &str) -> bool {
    url.starts_with("/tryitout/")
}

/// Columns of a layout row.
const LAYOUT_HEADERS: [&str; 7] = [
    "구분",
    "Element",
    "한글명",
    "Type",
    "Required",
    "Length",
    "Description",
];

/// Where a layout row belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Ignored,
    Header,
    Inputs,
    Body,
}

fn read_sheet(sheet: &Sheet) -> Result<Api, WorkbookError> {
    let mut api = Api {
        sheet: Some(sheet.name.to_string()),
        ..Api::default()
    };
    let mut layout = None;
    for r in sheet.rows() {
        let key = sheet.text(r, 0, MAX_DESCRIPTION)?;
        let value = || sheet.text(r, 1, MAX_SHORT_CELL);
        match key.as_str() {
            "메뉴 위치" => api.menu = Some(value()?).filter(|v| !v.is_empty()),
            "API 명" => api.name = value()?,
            "API ID" => api.api_code = Some(value()?).filter(|v| !v.is_empty()),
            "실전 TR_ID" => api.real = tr_ids(&value()?),
            "모의 TR_ID" => api.demo = tr_ids(&value()?),
            "HTTP Method" => api.method = value()?,
            "URL 명" => api.url = value()?,
            "구분" => {
                layout = Some(r);
                break;
            }
            _ => {}
        }
    }
    let Some(head) = layout else {
        return Err(WorkbookError::Header {
            sheet: sheet.name.to_string(),
            cell: "A".to_string(),
            expected: "구분 (the layout's header row)".to_string(),
            found: "no such row".to_string(),
        });
    };
    for (c, h) in LAYOUT_HEADERS.iter().enumerate() {
        sheet.header(head, c as u32, h)?;
    }
    if api.name.is_empty() || api.url.is_empty() {
        return Err(WorkbookError::Cell {
            sheet: sheet.name.to_string(),
            cell: cell_name(head, 0),
            problem: "the sheet names no API or URL above its layout".to_string(),
        });
    }
    api.websocket = is_subscription(&api.url);
    let mut section = Section::Ignored;
    // an elided series waiting for the row that ends it: (head, first, width), its row, its cell
    let mut elision: Option<((String, u32, usize), Row, String)> = None;
    for r in sheet.rows().filter(|r| *r > head) {
        let mark = sheet.text(r, 0, MAX_SHORT_CELL)?;
        if !mark.is_empty() {
            section = match mark.as_str() {
                "Request Query Parameter" | "Request Body" => Section::Inputs,
                "Response Body" => Section::Body,
                "Request Header" => Section::Header,
                "Response Header" => Section::Ignored,
                // the examples follow the layout
                _ => break,
            };
        }
        // some sheets mark the fields of a block with a leading '-'
        let name = sheet.text(r, 1, MAX_SHORT_CELL)?;
        let name = name.trim_start_matches('-').trim_start().to_string();
        if section == Section::Header && name == "tr_id" {
            // `(아시아 국가 하단 규격서 참고)`: the header's description lists the rest
            let (real, demo) = listed_tr_ids(&sheet.text(r, 6, MAX_DESCRIPTION)?);
            push_new(&mut api.real, real);
            push_new(&mut api.demo, demo);
        }
        if name.is_empty() || matches!(section, Section::Ignored | Section::Header) {
            continue;
        }
        let length_text = sheet.text(r, 5, MAX_SHORT_CELL)?;
        let row = Row {
            label: sheet.text(r, 2, MAX_SHORT_CELL)?,
            ty: sheet.text(r, 3, MAX_SHORT_CELL)?,
            required: sheet.text(r, 4, MAX_SHORT_CELL)? == "Y",
            length: length_text.parse().ok(),
            description: sheet.text(r, 6, MAX_DESCRIPTION)?,
            name,
        };
        let cell = || cell_name(r, 1);
        let rows: Vec<Row> = if let Some(names) = range_series(&row.name) {
            // `EXCD_01 ~ 10`: ten keys in one row
            names
                .into_iter()
                .map(|name| Row {
                    name,
                    ..row.clone()
                })
                .collect()
        } else if let Some(elided) = elided_series(&row.name) {
            // `SRS_CD_02…`: the keys up to the next row's
            if elision.is_some() {
                return Err(bad_name(sheet, cell(), &row.name));
            }
            elision = Some((elided, row, cell()));
            continue;
        } else if is_field_name(&row.name) {
            match elision.take() {
                None => vec![row],
                Some(((head, from, width), template, at)) => {
                    let to = row
                        .name
                        .strip_prefix(&head)
                        .and_then(|n| n.parse::<u32>().ok())
                        .filter(|to| *to > from && to - from <= MAX_SERIES)
                        .ok_or_else(|| bad_name(sheet, at.clone(), &template.name))?;
                    let label = template.label.trim_end_matches(['…', '.']).to_string();
                    let mut rows: Vec<Row> = (from..to)
                        .map(|i| Row {
                            name: format!("{head}{i:0width$}"),
                            label: label.clone(),
                            ..template.clone()
                        })
                        .collect();
                    rows.push(row);
                    rows
                }
            }
        } else {
            return Err(bad_name(sheet, cell(), &row.name));
        };
        for row in rows {
            place(&mut api, section, row);
        }
    }
    if let Some((_, template, at)) = elision {
        return Err(bad_name(sheet, at, &template.name));
    }
    Ok(api)
}

fn bad_name(sheet: &Sheet, cell: String, name: &str) -> WorkbookError {
    WorkbookError::Cell {
        sheet: sheet.name.to_string(),
        cell,
        problem: format!("'{name}' is not a field name (nor a series KIS writes as one)"),
    }
}

fn is_field_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Longest numbered series of keys one row stands for.
const MAX_SERIES: u32 = 100;

/// `NAME_01` as (`NAME_`, 1, width 2).
fn numbered(name: &str) -> Option<(String, u32, usize)> {
    let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 4 || !is_field_name(name) {
        return None;
    }
    let (head, number) = name.split_at(name.len() - digits);
    Some((head.to_string(), number.parse().ok()?, digits))
}

/// `EXCD_01 ~ 10`: EXCD_01 to EXCD_10.
fn range_series(name: &str) -> Option<Vec<String>> {
    let (first, last) = name.split_once('~')?;
    let (head, from, width) = numbered(first.trim())?;
    let last: u32 = last.trim().parse().ok()?;
    (from <= last && last - from <= MAX_SERIES).then(|| {
        (from..=last)
            .map(|i| format!("{head}{i:0width$}"))
            .collect()
    })
}

/// `SRS_CD_02…`: a series whose end the next row gives.
fn elided_series(name: &str) -> Option<(String, u32, usize)> {
    let stem = name
        .strip_suffix('…')
        .or_else(|| name.strip_suffix("..."))?;
    numbered(stem.trim())
}

/// Files one layout row where its section puts it.
fn place(api: &mut Api, section: Section, row: Row) {
    match section {
        Section::Inputs if api.websocket => {}
        Section::Inputs => api.inputs.push(row),
        Section::Body if api.websocket => {
            // the first column is typed `object` in KIS's sheets; a repeated column is a
            // copy-paste slip of the sheet, read once
            if !api
                .columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&row.name))
            {
                api.columns.push(row);
            }
        }
        Section::Body => body_row(&mut api.blocks, row),
        Section::Ignored | Section::Header => {}
    }
}

/// The TR IDs a `tr_id` description lists under `[실전투자]` and `[모의투자]`; none when it does
/// not say which environment each belongs to.
fn listed_tr_ids(description: &str) -> (Vec<String>, Vec<String>) {
    let Some((real, demo)) = description.split_once("[모의투자]") else {
        return (Vec::new(), Vec::new());
    };
    match real.split_once("[실전투자]") {
        Some((_, real)) => (tr_ids(real), tr_ids(demo)),
        None => (Vec::new(), Vec::new()),
    }
}

fn push_new(to: &mut Vec<String>, from: Vec<String>) {
    for id in from {
        if !to.contains(&id) {
            to.push(id);
        }
    }
}

/// Places one response body row: a block row opens a block, a field joins the open one.
fn body_row(blocks: &mut Vec<Block>, row: Row) {
    if ENVELOPE.contains(&row.name.as_str()) {
        return;
    }
    let shape = match row.ty.as_str() {
        "object" => Some(BlockShape::Object),
        "array" | "object array" => Some(BlockShape::Array),
        _ => None,
    };
    match shape {
        Some(shape) => blocks.push(Block {
            name: Some(row.name),
            label: row.label,
            shape: Some(shape),
            fields: Vec::new(),
        }),
        None => match blocks.last_mut() {
            Some(open) => open.fields.push(row),
            None => blocks.push(Block {
                name: None,
                label: String::new(),
                shape: None,
                fields: vec![row],
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{cell_name, tr_ids};

    #[test]
    fn cells_are_named_as_a_spreadsheet_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(2, 701), "ZZ3");
    }

    #[test]
    fn tr_ids_are_read_out_of_annotated_cells() {
        assert_eq!(
            tr_ids("(예약취소) CTSC0009U (예약정정) CTSC0013U"),
            ["CTSC0009U", "CTSC0013U"]
        );
        assert!(tr_ids("모의투자 미지원").is_empty());
        assert_eq!(tr_ids("TTTC0802U, TTTC0802U"), ["TTTC0802U"]);
        assert!(
            tr_ids("POST").is_empty(),
            "a word without digits is no TR ID"
        );
    }
}
