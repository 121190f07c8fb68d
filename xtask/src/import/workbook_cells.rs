//! Cells of KIS's workbook read as text, the limits of what is read, and the error that names
//! the sheet and cell of whatever cannot be read.

use std::fmt;

use calamine::{Data, Range};

/// Largest workbook read; KIS's is about 1.3 MB.
pub(super) const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most bytes the workbook's parts may unpack to; KIS's unpack to about 9 MB.
pub(super) const MAX_UNPACKED_BYTES: u64 = 512 << 20;
/// Most sheets read; KIS's has 339.
pub(super) const MAX_SHEETS: usize = 2_000;
/// Most rows of one sheet; KIS's longest layout has a few hundred.
pub(super) const MAX_ROWS: u32 = 20_000;
/// Longest name, label, type, Required or Length cell.
pub(super) const MAX_SHORT_CELL: usize = 300;
/// Longest description cell.
pub(super) const MAX_DESCRIPTION: usize = 64 << 10;

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
    /// The workbook's parts unpack to more than a workbook of KIS's would.
    Unpacks {
        /// The file.
        file: String,
        /// What its parts say they unpack to.
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
            WorkbookError::Unpacks { file, bytes } => write!(
                f,
                "{file}: unpacks to {bytes} bytes, more than a workbook of KIS's (at most {MAX_UNPACKED_BYTES})"
            ),
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
pub(super) struct Sheet<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its cells.
    pub range: &'a Range<Data>,
}

impl Sheet<'_> {
    /// Text of a cell (trimmed); numbers read as written, an empty or absent cell as "".
    pub fn text(&self, row: u32, col: u32, max: usize) -> Result<String, WorkbookError> {
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

    /// The rows that hold cells.
    pub fn rows(&self) -> std::ops::Range<u32> {
        match (self.range.start(), self.range.end()) {
            (Some((first, _)), Some((last, _))) => first..last + 1,
            _ => 0..0,
        }
    }

    /// Checks that a header cell says `expected`.
    pub fn header(&self, row: u32, col: u32, expected: &str) -> Result<(), WorkbookError> {
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
