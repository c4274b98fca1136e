//! Reading uploaded files — the 医療機関ユーザデータファイル and the four bulk imports — in one
//! place: CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932; CRLF, LF or CR), XLSX and JSON Lines, read
//! row by row with memory bounded by the longest allowed row ([`reader`]); the header row found
//! and matched to the columns a use expects ([`header`]); and the one normaliser of the dates,
//! numbers, codes and kana in the cells ([`normalize`]).
//!
//! The files carry personal data: no error of this module quotes a cell, except the short,
//! truncated excerpts of header cells that [`header::excerpt`] allows.

pub mod header;
pub mod normalize;
pub mod reader;
mod xlsx;

pub use reader::{
    Cell, FileError, Formats, RowError, RowReader, Source, SourceFormat, SourceRow, TableRow,
    TableRows, MAX_CELL_BYTES, MAX_ROW_BYTES,
};

/// The most data rows (rows after the header) a file may have. A non-empty row below row
/// `MAX_ROWS + 1` makes the whole file [`TableError::TooManyRows`].
pub const MAX_ROWS: usize = 1_000_000;

/// Excel's own last column (XFD). calamine does not bound the column of a crafted cell
/// reference, and a row is built densely up to its last cell.
pub(crate) const MAX_COLUMNS: usize = 16_384;

/// The text encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Utf8,
    /// UTF-8 starting with a byte order mark, as Excel's "CSV UTF-8" writes it.
    Utf8Bom,
    /// Shift_JIS as Windows writes it (CP932 / windows-31j, with the NEC and IBM extensions),
    /// which is what Excel's plain "CSV" writes on a Japanese Windows.
    ShiftJis,
}

/// Why a file could not be read as a table. No variant carries a cell of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is not a CSV or XLSX file.")]
    NotATable,
    #[error("The character encoding of the file could not be determined.")]
    UndetectableEncoding,
    /// The file is a zip archive that calamine cannot read as a workbook; the message says
    /// why, in calamine's terms, without cell contents.
    #[error("The XLSX file could not be read: {0}.")]
    Xlsx(String),
    #[error("Row {row} of the CSV file could not be read: {message}.")]
    Csv { row: usize, message: String },
    #[error("The file has more than {limit} data rows.")]
    TooManyRows { limit: usize },
    #[error("The XLSX file has no visible worksheet.")]
    NoSheet,
}

impl TableError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TableError::Empty => "empty_file",
            TableError::NotATable => "not_a_table",
            TableError::UndetectableEncoding => "undetectable_encoding",
            TableError::Xlsx(_) => "unreadable_xlsx",
            TableError::Csv { .. } => "unreadable_csv",
            TableError::TooManyRows { .. } => "too_many_rows",
            TableError::NoSheet => "no_sheet",
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            TableError::Empty => "ファイルが空です。".to_owned(),
            TableError::NotATable => "CSVファイルまたはExcelファイル（.xlsx）を指定してください。\
                 旧形式の.xlsファイルやパスワード付きのファイルは読み込めません。"
                .to_owned(),
            TableError::UndetectableEncoding => "文字コードを判別できませんでした。\
                 UTF-8またはShift_JISで保存したCSVファイルを指定してください。"
                .to_owned(),
            TableError::Xlsx(detail) => format!(
                "Excelファイル（.xlsx）を読み込めませんでした。\
                 ファイルが壊れていないか確認してください。（{detail}）"
            ),
            TableError::Csv { row, .. } => {
                format!("CSVファイルの{row}行目を読み込めませんでした。")
            }
            TableError::TooManyRows { limit } => {
                format!("データ行が多すぎます。一度に読み込めるのは{limit}行までです。")
            }
            TableError::NoSheet => {
                "Excelファイルに表示されているワークシートがありません。".to_owned()
            }
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

/// A header as compared: trimmed of whitespace (including the ideographic space) and of a
/// stray byte order mark, which some tools write twice.
pub(crate) fn normalize_header(header: &str) -> &str {
    header.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}
