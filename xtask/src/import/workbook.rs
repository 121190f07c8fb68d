//! Reads KIS's full-document workbook (`한국투자증권_오픈API_전체문서_<date>.xlsx`): the
//! `API 목록` sheet (one row per API: protocol, menu, name, API ID, real and demo TR IDs, method,
//! URL) and one sheet per API (the same facts on top, then the layout: request header,
//! query/body fields, response header and body with its blocks, then examples).
//!
//! The workbook is untrusted input: every problem is a [`WorkbookError`] naming the sheet and
//! the cell, and sizes are bounded. The examples at the bottom of each sheet are never read.

use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};

pub use super::workbook_cells::WorkbookError;
use super::workbook_cells::{
    MAX_FILE_BYTES, MAX_ROWS, MAX_SHEETS, MAX_SHORT_CELL, MAX_UNPACKED_BYTES, Sheet, cell_name,
};
use super::workbook_sheet::{is_subscription, push_new, read_sheet};

/// The sheet that lists every API.
pub const LIST_SHEET: &str = "API 목록";

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
    check_unpacked(path, &file)?;
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

/// Refuses a workbook whose parts say they unpack to more than [`MAX_UNPACKED_BYTES`], before
/// anything is unpacked (an xlsx is a zip archive; a small one can unpack to gigabytes).
fn check_unpacked(path: &Path, file: &str) -> Result<(), WorkbookError> {
    let open = |reason: String| WorkbookError::Open {
        file: file.to_string(),
        reason,
    };
    let reader = std::fs::File::open(path).map_err(|e| open(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| open(e.to_string()))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|e| open(e.to_string()))?;
        total = total.saturating_add(part.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(WorkbookError::Unpacks {
            file: file.to_string(),
            bytes: total,
        });
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::super::workbook_cells::cell_name;
    use super::tr_ids;

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
