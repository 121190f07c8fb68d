//! One API sheet of KIS's workbook: the facts on top (name, menu, TR IDs, method, URL), then the
//! layout: query/body inputs, response body blocks or realtime columns. Rows that stand for a
//! numbered series of keys (`EXCD_01 ~ 10`, `SRS_CD_02…`) are read as every key they name.

use super::workbook::{Api, Block, BlockShape, Row, tr_ids};
use super::workbook_cells::{MAX_DESCRIPTION, MAX_SHORT_CELL, Sheet, WorkbookError, cell_name};

/// The envelope every response carries; the catalog keeps it in common.yaml.
const ENVELOPE: [&str; 3] = ["rt_cd", "msg_cd", "msg1"];

/// Whether an API is a WebSocket subscription: its URL is `/tryitout/<TR ID>`. The protocol
/// column is not enough: KIS labels the approval-key call (HTTP) `WEBSOCKET` and two market
/// status feeds `REST`.
pub(super) fn is_subscription(url: &str) -> bool {
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

/// Reads one API sheet.
pub(super) fn read_sheet(sheet: &Sheet) -> Result<Api, WorkbookError> {
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
        return Err(WorkbookError::Sheet {
            sheet: sheet.name.to_string(),
            reason: format!(
                "no layout: no row starts with '{}' in column A",
                LAYOUT_HEADERS[0]
            ),
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

/// Adds the IDs `to` lacks.
pub(super) fn push_new(to: &mut Vec<String>, from: Vec<String>) {
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
