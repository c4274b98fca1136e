//! Reads an uploaded file — CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932), XLSX or JSON Lines —
//! one row at a time, with memory bounded by the longest allowed row rather than by the file:
//! form imports run to a million rows and hundreds of megabytes, and a user data file held in
//! memory must not cost more than its bytes.
//!
//! The encoding is detected from the content, rows are numbered as Excel shows them, and no
//! error quotes a cell. [`TableRows`] gives the rows with their cells by position (the user data
//! file finds its header among them); [`RowReader`] takes row 1 as the header and names the cells
//! by it (the bulk imports).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;

use calamine::{Reader, SheetType, SheetVisible, Xlsx};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::xlsx::{self, ZIP_MAGIC};
use super::{normalize_header, Encoding, TableError, MAX_COLUMNS, MAX_ROWS};

/// The longest CSV cell, in bytes of UTF-8.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// The longest row, in bytes of UTF-8: a CSV record, the cells of an XLSX row, a JSON Lines line
/// (its line end excluded). It is what bounds the memory of a reader.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;

/// How much of the file is read at once.
pub(crate) const CHUNK: usize = 64 * 1024;

/// XLSX rows decoded ahead of the caller.
const XLSX_ROWS_AHEAD: usize = 4;

/// What kind of file is read. Serialized as its [`SourceFormat::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Csv(Encoding),
    Xlsx,
    /// One JSON object per line, in UTF-8.
    JsonLines,
}

impl SourceFormat {
    const ALL: [SourceFormat; 5] = [
        SourceFormat::Csv(Encoding::Utf8),
        SourceFormat::Csv(Encoding::Utf8Bom),
        SourceFormat::Csv(Encoding::ShiftJis),
        SourceFormat::Xlsx,
        SourceFormat::JsonLines,
    ];

    /// The stable name of the format: `csv_utf8`, `csv_utf8_bom`, `csv_shift_jis`, `xlsx` or
    /// `jsonl`.
    pub fn code(self) -> &'static str {
        match self {
            SourceFormat::Csv(Encoding::Utf8) => "csv_utf8",
            SourceFormat::Csv(Encoding::Utf8Bom) => "csv_utf8_bom",
            SourceFormat::Csv(Encoding::ShiftJis) => "csv_shift_jis",
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::JsonLines => "jsonl",
        }
    }

    /// The format of a [`SourceFormat::code`].
    pub fn from_code(code: &str) -> Option<SourceFormat> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for SourceFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for SourceFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Cow::<str>::deserialize(deserializer)?;
        SourceFormat::from_code(&code).ok_or_else(|| {
            serde::de::Error::unknown_variant(
                &code,
                &["csv_utf8", "csv_utf8_bom", "csv_shift_jis", "xlsx", "jsonl"],
            )
        })
    }
}

/// One non-empty value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A CSV or XLSX cell as written (not trimmed; XLSX numbers and dates as `xlsx::cell_text` writes
    /// them), or a JSON string.
    Text(String),
    /// A JSON number, boolean or array (of anything but objects).
    Json(serde_json::Value),
}

impl Cell {
    /// The text of a [`Cell::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            Cell::Json(_) => None,
        }
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// The 1-based number a user sees: in a CSV or XLSX file the Excel row (the header is row
    /// 1, a quoted cell spanning lines is one row, empty rows count); in JSON Lines the line.
    pub row: usize,
    /// Column name (the trimmed header cell; in JSON Lines the key) and value, in column order.
    /// Empty and blank cells and JSON nulls are left out.
    pub cells: Vec<(String, Cell)>,
}

impl SourceRow {
    /// The value of column `name`, if the row has one.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

/// One row could not be read; the rows after it still can. The messages never quote the row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message_en}")]
pub struct RowError {
    pub row: usize,
    /// A stable, machine-readable code.
    pub code: &'static str,
    pub message_ja: String,
    pub message_en: String,
}

/// Why a row could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowProblem {
    /// A CSV cell longer than [`MAX_CELL_BYTES`]; 0-based column.
    CellTooLong {
        column: usize,
    },
    /// A CSV or XLSX row longer than [`MAX_ROW_BYTES`].
    RowTooLong,
    /// A JSON Lines line longer than [`MAX_ROW_BYTES`].
    LineTooLong,
    /// More cells than Excel has columns, or a cell beyond its last column.
    TooManyCells,
    /// A value in a column whose header is empty; 0-based column.
    ExtraCell {
        column: usize,
    },
    /// Not JSON; `column` is serde_json's 1-based byte position.
    InvalidJson {
        column: usize,
    },
    NotAnObject,
    NestedObject,
    EmptyKey,
    DuplicatedKey,
}

impl RowProblem {
    fn at(self, row: usize) -> RowError {
        let (code, message_ja, message_en) = match self {
            RowProblem::CellTooLong { column } => {
                let column = column_name(column);
                (
                    "cell_too_long",
                    format!("{row}行目の{column}列のセルが長すぎます。1つのセルは64KiBまでです。"),
                    format!("Row {row}: the cell in column {column} is longer than 64 KiB."),
                )
            }
            RowProblem::RowTooLong => (
                "row_too_long",
                format!("{row}行目が長すぎます。1行は1MiBまでです。"),
                format!("Row {row} is longer than 1 MiB."),
            ),
            RowProblem::LineTooLong => (
                "line_too_long",
                format!("{row}行目が長すぎます。1行は1MiBまでです。"),
                format!("Line {row} is longer than 1 MiB."),
            ),
            RowProblem::TooManyCells => (
                "too_many_cells",
                format!("{row}行目のセルが多すぎます。列は{MAX_COLUMNS}列までです。"),
                format!("Row {row} has more than {MAX_COLUMNS} cells."),
            ),
            RowProblem::ExtraCell { column } => {
                let column = column_name(column);
                (
                    "extra_cell",
                    format!(
                        "{row}行目の{column}列に値がありますが、この列には見出しがありません。"
                    ),
                    format!("Row {row} has a value in column {column}, which has no header."),
                )
            }
            RowProblem::InvalidJson { column } => (
                "invalid_json",
                format!("{row}行目をJSONとして読めません（{column}バイト目付近）。"),
                format!("Line {row} is not valid JSON (near byte {column})."),
            ),
            RowProblem::NotAnObject => (
                "not_an_object",
                format!("{row}行目がJSONオブジェクト（{{…}}）ではありません。"),
                format!("Line {row} is not a JSON object."),
            ),
            RowProblem::NestedObject => (
                "nested_object",
                format!(
                    "{row}行目の値にオブジェクトが含まれています。\
                     値には文字列、数値、真偽値、配列、nullだけが使えます。"
                ),
                format!(
                    "Line {row} has an object as a value: values may only be strings, \
                     numbers, booleans, arrays or null."
                ),
            ),
            RowProblem::EmptyKey => (
                "empty_key",
                format!("{row}行目に空のキーがあります。"),
                format!("Line {row} has an empty key."),
            ),
            RowProblem::DuplicatedKey => (
                "duplicated_key",
                format!("{row}行目に同じキーが2回以上あります。"),
                format!("Line {row} has the same key more than once."),
            ),
        };
        RowError {
            row,
            code,
            message_ja,
            message_en,
        }
    }
}

/// Why a file, or the rest of it, could not be read. No variant carries a cell of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The problems a whole-file read also has (empty, not a table, undetectable encoding, an
    /// unreadable XLSX, too many rows, no sheet).
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("Row 1 is empty: it must hold the column names.")]
    MissingHeader,
    /// A header cell is empty, left of the last non-empty one; 0-based column.
    #[error("The header of column {} (row 1) is empty.", column_name(*column))]
    EmptyHeader { column: usize },
    /// Two header cells are the same, trimmed and ignoring ASCII case; 0-based columns.
    #[error(
        "The header of column {} (row 1) is the same as the header of column {}.",
        column_name(*column),
        column_name(*first)
    )]
    DuplicatedHeader { column: usize, first: usize },
    #[error("The header row (row 1) could not be read: {0}")]
    InvalidHeader(RowError),
    /// Bytes that are not text in the encoding the file was read in, found at about `row`.
    /// The encoding of a CSV file is checked on the whole file before the first row, so this
    /// means the file changed while it was read, or a JSON Lines file is not UTF-8.
    #[error("Around row {row}, the file holds bytes that are not valid {}.", encoding_name(*encoding))]
    InvalidEncoding { row: usize, encoding: Encoding },
    #[error("The file could not be read ({kind}).")]
    Io { kind: io::ErrorKind },
}

impl FileError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Table(e) => e.code(),
            FileError::MissingHeader => "missing_header",
            FileError::EmptyHeader { .. } => "empty_header",
            FileError::DuplicatedHeader { .. } => "duplicated_header",
            FileError::InvalidHeader(_) => "invalid_header",
            FileError::InvalidEncoding { .. } => "invalid_encoding",
            FileError::Io { .. } => "read_error",
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            FileError::Table(e) => e.message_ja(),
            FileError::MissingHeader => {
                "1行目が空です。1行目に見出し（列名）を入れてください。".to_owned()
            }
            FileError::EmptyHeader { column } => {
                format!("1行目の{}列の見出しが空です。", column_name(*column))
            }
            FileError::DuplicatedHeader { column, first } => format!(
                "1行目の{}列の見出しが{}列と同じです。",
                column_name(*column),
                column_name(*first)
            ),
            FileError::InvalidHeader(e) => {
                format!("見出し行（1行目）を読み込めませんでした。{}", e.message_ja)
            }
            FileError::InvalidEncoding { row, encoding } => format!(
                "{row}行目付近に{}として読めない文字があります。",
                encoding_name(*encoding)
            ),
            FileError::Io { kind } => format!("ファイルを読み込めませんでした。（{kind}）"),
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

pub(crate) fn io_error(error: io::Error) -> FileError {
    FileError::Io { kind: error.kind() }
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => "UTF-8",
        Encoding::ShiftJis => "Shift_JIS",
    }
}

/// A 0-based column as Excel names it: A, B, …, Z, AA, ….
pub(crate) fn column_name(column: usize) -> String {
    let mut name = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        name.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Reads an import file row by row.
///
/// Memory does not grow with the file: a CSV or JSON Lines reader holds one chunk of the file
/// and one row; an XLSX reader holds a few rows, and what calamine holds for the whole
/// workbook (its shared strings table, which grows with the distinct texts of the workbook).
pub struct RowReader {
    format: SourceFormat,
    rows: Rows,
    max_rows: usize,
    /// The error that ended the reading, returned again on every later call.
    failed: Option<FileError>,
}

enum Rows {
    Tabular(Tabular),
    JsonLines(JsonLines),
}

impl RowReader {
    /// Opens `path` and reads up to its header.
    ///
    /// The format comes from the content, not the name: a zip archive is XLSX (its first
    /// visible worksheet); a file whose first non-blank line starts with `{` is JSON Lines
    /// (UTF-8, with or without BOM); anything else is CSV in UTF-8 (with or without BOM) or,
    /// when it is not UTF-8, Shift_JIS. A CSV file is read through once here to detect its
    /// encoding, so that an invalid byte near the end fails the file before any row is used.
    pub fn open(path: &Path) -> Result<RowReader, FileError> {
        Self::open_limited(path, MAX_ROWS)
    }

    pub(crate) fn open_limited(path: &Path, max_rows: usize) -> Result<RowReader, FileError> {
        let file = File::open(path).map_err(io_error)?;
        let (format, rows) = match open_source(Box::new(file), Formats::WithJsonLines)? {
            Opened::JsonLines(lines) => (SourceFormat::JsonLines, Rows::JsonLines(lines)),
            Opened::Tabular(format, source) => {
                let mut tabular = Tabular {
                    source,
                    headers: Vec::new(),
                };
                tabular.read_headers()?;
                (format, Rows::Tabular(tabular))
            }
        };
        Ok(RowReader {
            format,
            rows,
            max_rows,
            failed: None,
        })
    }

    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// CSV and XLSX: the cells of row 1, trimmed, up to the last non-empty one. JSON Lines:
    /// `None`.
    pub fn headers(&self) -> Option<&[String]> {
        match &self.rows {
            Rows::Tabular(tabular) => Some(&tabular.headers),
            Rows::JsonLines(_) => None,
        }
    }

    /// The next data row, or why it could not be read; `Ok(None)` at the end of the file.
    ///
    /// `Err` when the rest of the file cannot be read (too many rows, an I/O error, a broken
    /// XLSX); every later call returns the same error.
    pub fn next_row(&mut self) -> Result<Option<Result<SourceRow, RowError>>, FileError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let next = match &mut self.rows {
            Rows::Tabular(tabular) => tabular.next_row(self.max_rows),
            Rows::JsonLines(lines) => lines.next_row(self.max_rows),
        };
        if let Err(error) = &next {
            self.failed = Some(error.clone());
        }
        next
    }
}

/// What a file is read from: a file on disk, or an upload held in memory (`Cursor`).
pub trait Source: Read + Seek + Send {}

impl<T: Read + Seek + Send> Source for T {}

/// The formats a use takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formats {
    /// CSV and XLSX: a text file whose first line starts with `{` is read as CSV.
    Tabular,
    /// CSV, XLSX and JSON Lines.
    WithJsonLines,
}

enum Opened {
    JsonLines(JsonLines),
    Tabular(SourceFormat, RawRows),
}

/// Detects the format of `source` (from its content, never its name) and opens it.
///
/// A zip archive is XLSX (its first visible worksheet); with [`Formats::WithJsonLines`], a file
/// whose first non-blank line starts with `{` is JSON Lines (UTF-8, with or without BOM);
/// anything else is CSV in UTF-8 (with or without BOM) or, when it is not UTF-8, Shift_JIS. A
/// CSV file is read through once here to detect its encoding, so that an invalid byte near the
/// end fails the file before any row is used.
fn open_source(mut source: Box<dyn Source>, formats: Formats) -> Result<Opened, FileError> {
    let kind = sniff(&mut *source)?;
    source.rewind().map_err(io_error)?;
    match kind {
        Sniff::Empty => Err(TableError::Empty.into()),
        Sniff::JsonLines if formats == Formats::WithJsonLines => {
            Ok(Opened::JsonLines(JsonLines::new(source)))
        }
        Sniff::Zip => Ok(Opened::Tabular(
            SourceFormat::Xlsx,
            RawRows::Xlsx(XlsxRows::start(source)?),
        )),
        Sniff::Text | Sniff::JsonLines => {
            let encoding = detect_encoding(&mut *source)?;
            let start = if encoding == Encoding::Utf8Bom { 3 } else { 0 };
            source.seek(SeekFrom::Start(start)).map_err(io_error)?;
            let text: Box<dyn Read + Send> = match encoding {
                Encoding::Utf8 | Encoding::Utf8Bom => source,
                Encoding::ShiftJis => Box::new(ShiftJisReader::new(source)),
            };
            Ok(Opened::Tabular(
                SourceFormat::Csv(encoding),
                RawRows::Csv(Box::new(CsvRecords::new(text, encoding))),
            ))
        }
    }
}

/// A row of a CSV or XLSX file, its cells by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// 1-based, as Excel numbers it.
    pub row: usize,
    /// The non-blank cells (as written, not trimmed) with their 0-based columns, in column
    /// order; or why the row could not be read (the rows after it still can).
    pub cells: Result<Vec<(usize, String)>, RowError>,
}

/// Reads a CSV or XLSX file row by row, its cells by position, without taking any row for the
/// header: for a use that looks for its header itself (the user data file allows a title and
/// notes above it). Memory is bounded as for [`RowReader`].
pub struct TableRows {
    format: SourceFormat,
    source: RawRows,
    max_rows: usize,
    /// The first non-empty row, read when the file was opened.
    first: Option<TableRow>,
    /// The error that ended the reading, returned again on every later call.
    failed: Option<FileError>,
}

impl TableRows {
    /// Opens a file held in memory (CSV or XLSX; see [`Formats::Tabular`]).
    pub fn from_memory<B>(bytes: B) -> Result<TableRows, FileError>
    where
        B: AsRef<[u8]> + Send + 'static,
    {
        Self::open_limited(Box::new(io::Cursor::new(bytes)), MAX_ROWS)
    }

    /// A file without a non-empty row is [`TableError::Empty`].
    fn open_limited(source: Box<dyn Source>, max_rows: usize) -> Result<TableRows, FileError> {
        let Opened::Tabular(format, source) = open_source(source, Formats::Tabular)? else {
            // Not asked for.
            return Err(TableError::NotATable.into());
        };
        let mut rows = TableRows {
            format,
            source,
            max_rows,
            first: None,
            failed: None,
        };
        rows.first = Some(rows.read_next()?.ok_or(TableError::Empty)?);
        Ok(rows)
    }

    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// The next row with a non-blank cell; `Ok(None)` at the end of the file.
    ///
    /// `Err` when the rest of the file cannot be read (a non-empty row below row
    /// `MAX_ROWS + 1`, an I/O error, a broken XLSX); every later call returns the same error.
    pub fn next_row(&mut self) -> Result<Option<TableRow>, FileError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        let next = self.read_next();
        if let Err(error) = &next {
            self.failed = Some(error.clone());
        }
        next
    }

    fn read_next(&mut self) -> Result<Option<TableRow>, FileError> {
        loop {
            let Some(raw) = self.source.next_raw()? else {
                return Ok(None);
            };
            if matches!(&raw.cells, Ok(cells) if cells.is_empty()) {
                continue;
            }
            // A row 1 of byte order marks is a stray BOM some tools write twice, not a row.
            if raw.row == 1
                && matches!(&raw.cells, Ok(cells)
                    if cells.iter().all(|(_, c)| normalize_header(c).is_empty()))
            {
                continue;
            }
            if raw.row - 1 > self.max_rows {
                return Err(TableError::TooManyRows {
                    limit: self.max_rows,
                }
                .into());
            }
            let row = raw.row;
            return Ok(Some(TableRow {
                row,
                cells: raw.cells.map_err(|problem| problem.at(row)),
            }));
        }
    }
}

enum Sniff {
    Empty,
    Zip,
    JsonLines,
    Text,
}

/// Tells the format from the first bytes.
fn sniff(file: &mut dyn Source) -> Result<Sniff, FileError> {
    let mut buf = vec![0; CHUNK];
    let mut first = true;
    loop {
        let n = read_some(file, &mut buf).map_err(io_error)?;
        if n == 0 {
            return Ok(if first { Sniff::Empty } else { Sniff::Text });
        }
        let mut bytes = &buf[..n];
        if first {
            if bytes.starts_with(ZIP_MAGIC) {
                return Ok(Sniff::Zip);
            }
            // A BOM cut by the chunk boundary is impossible: the chunk is far longer.
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            first = false;
        }
        if let Some(&b) = bytes
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Ok(if b == b'{' {
                Sniff::JsonLines
            } else {
                Sniff::Text
            });
        }
    }
}

/// `read`, retried when interrupted.
pub(crate) fn read_some<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Detects the encoding of a text file by reading it to the end, the same way
/// the readers always have: a control byte anywhere makes it not a table
/// (a PDF, an .xls, UTF-16), then UTF-8 (with or without BOM), then Shift_JIS without
/// replacement; a C1 control in the decoded text makes it not a table either.
fn detect_encoding(file: &mut dyn Source) -> Result<Encoding, FileError> {
    let mut buf = vec![0; CHUNK + 3];
    // The bytes of a UTF-8 sequence cut by the end of the previous chunk, moved to the front.
    let mut carry = 0;
    let mut utf8 = true;
    let mut c1 = false;
    let mut at_start = true;
    let mut bom = false;
    loop {
        let n = read_some(file, &mut buf[carry..carry + CHUNK]).map_err(io_error)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[carry..carry + n];
        // In UTF-8 and in Shift_JIS these bytes only ever stand for themselves (no trail byte
        // is below 0x40 or is 0x7F).
        if chunk
            .iter()
            .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f)
        {
            return Err(TableError::NotATable.into());
        }
        if !utf8 {
            continue;
        }
        let mut data = &buf[..carry + n];
        if at_start {
            at_start = false;
            if let Some(rest) = data.strip_prefix(b"\xEF\xBB\xBF") {
                bom = true;
                data = rest;
            }
        }
        let valid = match std::str::from_utf8(data) {
            Ok(_) => data.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                utf8 = false;
                carry = 0;
                continue;
            }
        };
        c1 |= has_c1_control(&data[..valid]);
        let tail = data.len() - valid;
        let tail_start = carry + n - tail;
        buf.copy_within(tail_start..carry + n, 0);
        carry = tail;
    }
    if utf8 && carry == 0 {
        if c1 {
            return Err(TableError::NotATable.into());
        }
        return Ok(if bom {
            Encoding::Utf8Bom
        } else {
            Encoding::Utf8
        });
    }
    if bom {
        return Err(TableError::UndetectableEncoding.into());
    }
    file.rewind().map_err(io_error)?;
    let mut decoded = ShiftJisReader::new(&mut *file);
    loop {
        match read_some(&mut decoded, &mut buf) {
            Ok(0) => break,
            // The decoder writes whole characters, so none is cut between two reads.
            Ok(n) => c1 |= has_c1_control(&buf[..n]),
            Err(e) if is_malformed(&e) => return Err(TableError::UndetectableEncoding.into()),
            Err(e) => return Err(io_error(e)),
        }
    }
    // Shift_JIS decodes a stray 0x80 to U+0080. Checked after the whole file decoded:
    // bytes that are not Shift_JIS make the encoding undetectable first.
    if c1 {
        return Err(TableError::NotATable.into());
    }
    Ok(Encoding::ShiftJis)
}

/// Whether UTF-8 text holds a C1 control (U+0080 to U+009F), which no spreadsheet writes. In
/// valid UTF-8, 0xC2 is always a lead byte.
fn has_c1_control(text: &[u8]) -> bool {
    text.windows(2)
        .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

/// Bytes that are not Shift_JIS, inside an [`io::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bytes that are not Shift_JIS")]
struct Malformed;

fn is_malformed(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<Malformed>())
}

/// Decodes Shift_JIS (CP932) into UTF-8 as it is read, failing on the first byte that is not
/// Shift_JIS rather than replacing it: a name must never be silently altered.
struct ShiftJisReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> ShiftJisReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling(),
            raw: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for ShiftJisReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = read_some(&mut self.inner, &mut self.raw)?;
                self.eof = self.end == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.raw[self.start..self.end],
                out,
                self.eof,
            );
            self.start += read;
            match result {
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, Malformed))
                }
                encoding_rs::DecoderResult::InputEmpty => {
                    self.done = self.eof;
                    if written > 0 || self.done {
                        return Ok(written);
                    }
                }
                encoding_rs::DecoderResult::OutputFull => {
                    if written == 0 {
                        // `out` cannot hold one character.
                        return Err(io::ErrorKind::InvalidInput.into());
                    }
                    return Ok(written);
                }
            }
        }
    }
}

/// A row of a CSV or XLSX file before its header is applied.
struct RawRow {
    /// 1-based, as Excel numbers it.
    row: usize,
    /// The non-blank cells with their 0-based columns, in column order.
    cells: Result<Vec<(usize, String)>, RowProblem>,
}

enum RawRows {
    /// Boxed: csv-core's parser holds its state tables inline.
    Csv(Box<CsvRecords>),
    Xlsx(XlsxRows),
}

impl RawRows {
    /// The next row; rows numbers strictly increase.
    fn next_raw(&mut self) -> Result<Option<RawRow>, FileError> {
        match self {
            RawRows::Csv(csv) => csv.next_raw(),
            RawRows::Xlsx(xlsx) => xlsx.next_raw(),
        }
    }
}

/// A CSV or XLSX file: row 1 is the header, its cells name the columns.
struct Tabular {
    source: RawRows,
    /// The cells of row 1, trimmed, up to the last non-empty one; none empty, no two equal.
    headers: Vec<String>,
}

impl Tabular {
    /// Reads row 1 into `headers`.
    fn read_headers(&mut self) -> Result<(), FileError> {
        let headers = loop {
            let Some(raw) = self.source.next_raw()? else {
                return Err(TableError::Empty.into());
            };
            let cells = match raw.cells {
                Err(problem) if raw.row == 1 => {
                    return Err(FileError::InvalidHeader(problem.at(1)))
                }
                Err(_) => return Err(FileError::MissingHeader),
                Ok(cells) => cells,
            };
            if raw.row > 1 {
                if cells.is_empty() {
                    continue;
                }
                return Err(FileError::MissingHeader);
            }
            let width = cells.last().map_or(0, |(column, _)| column + 1);
            let mut headers = vec![String::new(); width];
            for (column, text) in cells {
                headers[column] = normalize_header(&text).to_owned();
            }
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            // A row 1 of byte order marks is empty once normalized: it is no header, and a
            // file with nothing else is empty.
            if !headers.is_empty() {
                break headers;
            }
        };
        for (column, header) in headers.iter().enumerate() {
            if header.is_empty() {
                return Err(FileError::EmptyHeader { column });
            }
            if let Some(first) = headers[..column]
                .iter()
                .position(|h| h.eq_ignore_ascii_case(header))
            {
                return Err(FileError::DuplicatedHeader { column, first });
            }
        }
        self.headers = headers;
        Ok(())
    }

    fn next_row(
        &mut self,
        max_rows: usize,
    ) -> Result<Option<Result<SourceRow, RowError>>, FileError> {
        loop {
            let Some(raw) = self.source.next_raw()? else {
                return Ok(None);
            };
            if matches!(&raw.cells, Ok(cells) if cells.is_empty()) {
                continue;
            }
            // Rows are numbered as in Excel: data row n is row n + 1.
            if raw.row - 1 > max_rows {
                return Err(TableError::TooManyRows { limit: max_rows }.into());
            }
            let row = raw.row;
            return Ok(Some(match raw.cells {
                Err(problem) => Err(problem.at(row)),
                Ok(cells) => self.name(row, cells),
            }));
        }
    }

    fn name(&self, row: usize, cells: Vec<(usize, String)>) -> Result<SourceRow, RowError> {
        let mut named = Vec::with_capacity(cells.len());
        for (column, text) in cells {
            let Some(header) = self.headers.get(column) else {
                return Err(RowProblem::ExtraCell { column }.at(row));
            };
            named.push((header.clone(), Cell::Text(text)));
        }
        Ok(SourceRow { row, cells: named })
    }
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// The records of a CSV text stream (RFC 4180 quoting; CRLF, LF or CR line ends), parsed with
/// csv-core so that no record can take more than [`MAX_ROW_BYTES`]: the csv crate's reader
/// would hold the whole rest of a file after an unclosed quote.
struct CsvRecords {
    /// The text, in UTF-8.
    text: Box<dyn Read + Send>,
    encoding: Encoding,
    parser: csv_core::Reader,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    /// The fields of the record being read, and where each ends.
    output: Vec<u8>,
    ends: Vec<usize>,
    /// The last record ended with a CR, so an LF right after it is the rest of its CRLF.
    after_cr: bool,
    /// The row number of the last record.
    row: usize,
    /// The parser was given input.
    parser_started: bool,
    done: bool,
}

impl CsvRecords {
    fn new(text: Box<dyn Read + Send>, encoding: Encoding) -> Self {
        Self {
            text,
            encoding,
            parser: csv_core::Reader::new(),
            input: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            output: vec![0; 4096],
            ends: vec![0; 64],
            after_cr: false,
            row: 0,
            parser_started: false,
            done: false,
        }
    }

    /// Reads more input once the buffer is used up.
    fn fill(&mut self) -> Result<(), FileError> {
        debug_assert_eq!(self.start, self.end);
        self.start = 0;
        self.end = 0;
        match read_some(&mut self.text, &mut self.input) {
            Ok(n) => {
                self.end = n;
                self.eof = n == 0;
                Ok(())
            }
            // The file changed after its encoding was checked.
            Err(e) if is_malformed(&e) => Err(FileError::InvalidEncoding {
                row: self.row + 1,
                encoding: self.encoding,
            }),
            Err(e) => Err(io_error(e)),
        }
    }

    /// Consumes the line ends before the next record, each an empty row in Excel. The csv
    /// parser would skip them without a word; they are counted here instead.
    fn skip_empty_lines(&mut self) -> Result<usize, FileError> {
        let mut lines = 0;
        loop {
            if self.start == self.end {
                if self.eof {
                    break;
                }
                self.fill()?;
                continue;
            }
            match self.input[self.start] {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => lines += 1,
                b'\r' => {
                    lines += 1;
                    self.after_cr = true;
                }
                _ => break,
            }
            self.start += 1;
        }
        self.after_cr = false;
        Ok(lines)
    }

    fn next_raw(&mut self) -> Result<Option<RawRow>, FileError> {
        use csv_core::ReadRecordResult;
        if self.done {
            return Ok(None);
        }
        let empty_lines = self.skip_empty_lines()?;
        let (mut out_len, mut ends_len) = (0, 0);
        // Once set, the rest of the record is parsed into scratch space and dropped.
        let mut problem: Option<RowProblem> = None;
        let mut last_byte = 0;
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
            }
            let mut input = &self.input[self.start..self.end];
            if !self.parser_started {
                self.parser_started = true;
                // csv-core drops a byte order mark at the start of its first input: right for
                // the second mark some tools write, as the csv crate does, but
                // not for one after empty lines, which is a cell. Given one byte, it cannot.
                if empty_lines > 0 {
                    input = &input[..input.len().min(1)];
                }
            }
            let (result, nin, nout, nend) = match problem {
                None => self.parser.read_record(
                    input,
                    &mut self.output[out_len..],
                    &mut self.ends[ends_len..],
                ),
                Some(_) => self
                    .parser
                    .read_record(input, &mut self.output, &mut self.ends),
            };
            if nin > 0 {
                last_byte = input[nin - 1];
            }
            self.start += nin;
            if problem.is_none() {
                out_len += nout;
                ends_len += nend;
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull if problem.is_none() => {
                    let field_start = ends_len.checked_sub(1).map_or(0, |i| self.ends[i]);
                    if out_len - field_start > MAX_CELL_BYTES {
                        problem = Some(RowProblem::CellTooLong { column: ends_len });
                    } else if out_len >= MAX_ROW_BYTES {
                        problem = Some(RowProblem::RowTooLong);
                    } else {
                        let len = (self.output.len() * 2).min(MAX_ROW_BYTES);
                        self.output.resize(len, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull if problem.is_none() => {
                    if ends_len >= MAX_COLUMNS {
                        problem = Some(RowProblem::TooManyCells);
                    } else {
                        let len = (self.ends.len() * 2).min(MAX_COLUMNS + 1);
                        self.ends.resize(len, 0);
                    }
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => break,
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(None);
                }
            }
            if nin == 0 && self.eof && result == ReadRecordResult::InputEmpty {
                // Not reachable with csv-core: at the end of input it reports a record or the
                // end. Guarded all the same, since a loop here would never end.
                self.done = true;
                return Ok(None);
            }
        }
        self.after_cr = last_byte == b'\r';
        self.row += 1 + empty_lines;
        let cells = match problem {
            Some(problem) => Err(problem),
            None => self.cells(out_len, ends_len)?,
        };
        Ok(Some(RawRow {
            row: self.row,
            cells,
        }))
    }

    /// The non-blank fields of the record just read.
    fn cells(
        &self,
        out_len: usize,
        ends_len: usize,
    ) -> Result<Result<Vec<(usize, String)>, RowProblem>, FileError> {
        let mut cells = Vec::new();
        let mut start = 0;
        for (column, &end) in self.ends[..ends_len].iter().enumerate() {
            let end = end.min(out_len);
            let bytes = &self.output[start.min(end)..end];
            start = end;
            if bytes.len() > MAX_CELL_BYTES {
                return Ok(Err(RowProblem::CellTooLong { column }));
            }
            // Checked already, unless the file changed since; fields are cut at ASCII bytes.
            let text = std::str::from_utf8(bytes).map_err(|_| FileError::InvalidEncoding {
                row: self.row,
                encoding: self.encoding,
            })?;
            if !is_blank(text) {
                cells.push((column, text.to_owned()));
            }
        }
        Ok(Ok(cells))
    }
}

/// What the XLSX thread sends.
enum XlsxEvent {
    Row(RawRow),
    Failed(FileError),
    End,
}

/// The rows of the first visible worksheet of an XLSX file.
///
/// calamine's streaming cell reader borrows the workbook it reads, so the two cannot live in
/// one struct without `unsafe`; they live on a thread of their own instead, which sends rows
/// through a channel of a few rows. The thread ends when the sheet does or when the reader is
/// dropped (its next send fails). It also keeps a panic inside calamine, which is not
/// panic-free on crafted files, from reaching the caller.
struct XlsxRows {
    events: mpsc::Receiver<XlsxEvent>,
    /// The sheet ended: the thread is gone, and so is its channel.
    done: bool,
}

impl XlsxRows {
    fn start(file: Box<dyn Source>) -> Result<XlsxRows, FileError> {
        let (sender, events) = mpsc::sync_channel(XLSX_ROWS_AHEAD);
        std::thread::Builder::new()
            .name("import-xlsx".to_owned())
            .spawn(move || {
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| send_rows(file, &sender)));
                let last = match outcome {
                    Ok(Ok(())) => XlsxEvent::End,
                    Ok(Err(error)) => XlsxEvent::Failed(error),
                    Err(_) => XlsxEvent::Failed(broken_workbook()),
                };
                // The reader may be gone already; then nobody is waiting.
                let _ = sender.send(last);
            })
            .map_err(io_error)?;
        Ok(XlsxRows {
            events,
            done: false,
        })
    }

    fn next_raw(&mut self) -> Result<Option<RawRow>, FileError> {
        if self.done {
            return Ok(None);
        }
        match self.events.recv() {
            Ok(XlsxEvent::Row(row)) => Ok(Some(row)),
            Ok(XlsxEvent::End) => {
                self.done = true;
                Ok(None)
            }
            Ok(XlsxEvent::Failed(error)) => Err(error),
            Err(mpsc::RecvError) => Err(broken_workbook()),
        }
    }
}

fn broken_workbook() -> FileError {
    TableError::Xlsx("the workbook's structure is invalid".to_owned()).into()
}

/// Reads the first visible worksheet and sends its rows, in order, until the receiver is gone.
fn send_rows(file: Box<dyn Source>, sender: &mpsc::SyncSender<XlsxEvent>) -> Result<(), FileError> {
    let mut file = BufReader::new(file);
    xlsx::check_shared_strings(&mut file)?;
    let mut workbook = Xlsx::new(file).map_err(xlsx::xlsx_error)?;
    // The first sheet a user sees when opening the file; a hidden first sheet is typically a
    // template's list of codes.
    let sheet = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or(TableError::NoSheet)?;
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(xlsx::xlsx_error)?;
    let mut pending: Option<PendingRow> = None;
    while let Some(cell) = reader.next_cell().map_err(xlsx::xlsx_error)? {
        let text = xlsx::cell_text(cell.get_value());
        if is_blank(&text) {
            continue;
        }
        let (row, column) = cell.get_position();
        if pending.as_ref().is_none_or(|p| p.row != row) {
            let last = pending.as_ref().map(|p| p.row);
            if let Some(done) = pending.take() {
                if sender.send(XlsxEvent::Row(done.finish())).is_err() {
                    return Ok(());
                }
            }
            // Excel writes rows in order, and nothing else can be streamed: a row cannot be
            // completed after it was handed out.
            if last.is_some_and(|last| row < last) {
                return Err(
                    TableError::Xlsx("the rows of the sheet are out of order".to_owned()).into(),
                );
            }
            pending = Some(PendingRow::new(row));
        }
        if let Some(p) = pending.as_mut() {
            p.push(column, text);
        }
    }
    if let Some(done) = pending {
        // The receiver may be gone; then nobody needs the row.
        let _ = sender.send(XlsxEvent::Row(done.finish()));
    }
    Ok(())
}

/// The cells of one XLSX row, gathered as calamine reads them.
struct PendingRow {
    /// 0-based.
    row: u32,
    cells: Vec<(usize, String)>,
    bytes: usize,
    problem: Option<RowProblem>,
}

impl PendingRow {
    fn new(row: u32) -> Self {
        Self {
            row,
            cells: Vec::new(),
            bytes: 0,
            problem: None,
        }
    }

    fn push(&mut self, column: u32, text: String) {
        if self.problem.is_some() {
            return;
        }
        let column = column as usize;
        self.bytes += text.len();
        // The same cell written many times counts as many cells: a crafted row must not
        // grow without bound.
        if column >= MAX_COLUMNS || self.cells.len() >= MAX_COLUMNS {
            self.fail(RowProblem::TooManyCells);
        } else if self.bytes > MAX_ROW_BYTES {
            self.fail(RowProblem::RowTooLong);
        } else {
            self.cells.push((column, text));
        }
    }

    fn fail(&mut self, problem: RowProblem) {
        self.problem = Some(problem);
        self.cells = Vec::new();
    }

    fn finish(mut self) -> RawRow {
        // Cells usually come in column order, but nothing in the format requires it. The sort
        // is stable, so of two cells at one position the later in the file wins.
        self.cells.sort_by_key(|&(column, _)| column);
        let mut cells: Vec<(usize, String)> = Vec::with_capacity(self.cells.len());
        for (column, text) in self.cells {
            match cells.last_mut() {
                Some(last) if last.0 == column => last.1 = text,
                _ => cells.push((column, text)),
            }
        }
        RawRow {
            // Row index 0 is row 1; calamine's row index is a u32.
            row: self.row as usize + 1,
            cells: self.problem.map_or(Ok(cells), Err),
        }
    }
}

/// A JSON Lines file: one object per line, its keys the column names.
struct JsonLines {
    reader: BufReader<Box<dyn Source>>,
    /// The current line, its line end excluded; empty when it was too long.
    line: Vec<u8>,
    /// The number of the current line.
    line_number: usize,
}

impl JsonLines {
    fn new(file: Box<dyn Source>) -> Self {
        Self {
            reader: BufReader::with_capacity(CHUNK, file),
            line: Vec::new(),
            line_number: 0,
        }
    }

    /// Reads the next line into `line`, without ever holding more than [`MAX_ROW_BYTES`] of
    /// it. `None` at the end of the file, `Some(false)` when the line is too long.
    fn read_line(&mut self) -> Result<Option<bool>, FileError> {
        self.line.clear();
        let mut fits = true;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(e)),
            };
            if buf.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let newline = buf.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(buf.len());
            // One byte more than the limit, for the CR of a CRLF.
            if fits && self.line.len() + take <= MAX_ROW_BYTES + 1 {
                self.line.extend_from_slice(&buf[..take]);
            } else {
                fits = false;
                self.line.clear();
            }
            self.reader.consume(take + usize::from(newline.is_some()));
            if newline.is_some() {
                break;
            }
        }
        self.line_number += 1;
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line_number == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
            self.line.drain(..3);
        }
        Ok(Some(fits && self.line.len() <= MAX_ROW_BYTES))
    }

    fn next_row(
        &mut self,
        max_rows: usize,
    ) -> Result<Option<Result<SourceRow, RowError>>, FileError> {
        loop {
            let Some(fits) = self.read_line()? else {
                return Ok(None);
            };
            let row = self.line_number;
            if fits && self.line.trim_ascii().is_empty() {
                continue;
            }
            if row > max_rows {
                return Err(TableError::TooManyRows { limit: max_rows }.into());
            }
            if !fits {
                return Ok(Some(Err(RowProblem::LineTooLong.at(row))));
            }
            let text = std::str::from_utf8(&self.line).map_err(|_| FileError::InvalidEncoding {
                row,
                encoding: Encoding::Utf8,
            })?;
            return Ok(Some(
                json_cells(text)
                    .map(|cells| SourceRow { row, cells })
                    .map_err(|problem| problem.at(row)),
            ));
        }
    }
}

/// The cells of one JSON Lines line.
fn json_cells(line: &str) -> Result<Vec<(String, Cell)>, RowProblem> {
    let JsonObject(entries) = serde_json::from_str(line).map_err(|e| match e.classify() {
        // Valid JSON of another type than the object the visitor expects.
        serde_json::error::Category::Data => RowProblem::NotAnObject,
        _ => RowProblem::InvalidJson { column: e.column() },
    })?;
    if entries.len() > MAX_COLUMNS {
        return Err(RowProblem::TooManyCells);
    }
    let mut keys = HashSet::with_capacity(entries.len());
    for (key, value) in &entries {
        if key.is_empty() {
            return Err(RowProblem::EmptyKey);
        }
        if !keys.insert(key.as_str()) {
            return Err(RowProblem::DuplicatedKey);
        }
        if holds_object(value) {
            return Err(RowProblem::NestedObject);
        }
    }
    Ok(entries
        .into_iter()
        .filter_map(|(key, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) if is_blank(&s) => None,
            serde_json::Value::String(s) => Some((key, Cell::Text(s))),
            value => Some((key, Cell::Json(value))),
        })
        .collect())
}

/// serde_json limits nesting to 128 levels, which bounds the recursion.
fn holds_object(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(_) => true,
        serde_json::Value::Array(items) => items.iter().any(holds_object),
        _ => false,
    }
}

/// A JSON object's entries in the order written, duplicates kept: `serde_json::Map` sorts its
/// keys and keeps one of two equal keys, silently.
struct JsonObject(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = JsonObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(JsonObject(entries))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use rust_xlsxwriter::{ExcelDateTime as XlsxDate, Format as XlsxFormat, Workbook};
    use serde_json::json;

    fn file_of(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file.flush().unwrap();
        file
    }

    type ReadRows = Vec<Result<SourceRow, RowError>>;

    /// Opens `bytes` as a file and reads it to the end.
    fn read_limited(bytes: &[u8], max_rows: usize) -> Result<(RowReader, ReadRows), FileError> {
        let file = file_of(bytes);
        let mut reader = RowReader::open_limited(file.path(), max_rows)?;
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row()? {
            rows.push(row);
        }
        Ok((reader, rows))
    }

    fn read(bytes: &[u8]) -> Result<(RowReader, ReadRows), FileError> {
        read_limited(bytes, MAX_ROWS)
    }

    fn read_ok(bytes: &[u8]) -> (RowReader, ReadRows) {
        match read(bytes) {
            Ok(read) => read,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn text(cells: &[(&str, &str)]) -> Vec<(String, Cell)> {
        cells
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Cell::Text((*v).to_owned())))
            .collect()
    }

    fn row(row: usize, cells: &[(&str, &str)]) -> Result<SourceRow, RowError> {
        Ok(SourceRow {
            row,
            cells: text(cells),
        })
    }

    fn codes(rows: &ReadRows) -> Vec<(usize, &str)> {
        rows.iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| (e.row, e.code))
            .collect()
    }

    fn shift_jis(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
        assert!(!unmappable, "{text}");
        bytes.into_owned()
    }

    // CSV

    #[test]
    fn csv_rows_are_numbered_as_in_excel() {
        // Row 3 is empty, row 4 blank, row 5 spans three lines, row 6 is a lone CR line end,
        // row 7 ends the file without a line end.
        let csv = "番号, 氏名 ,備考\r\n1,山田 太郎,\r\n\r\n , ,\u{3000}\r\n2,\"鈴木\r\n花子\",\"a\nb\"\r\r3,,\" x \"";
        let (reader, rows) = read_ok(csv.as_bytes());
        assert_eq!(reader.format(), SourceFormat::Csv(Encoding::Utf8));
        assert_eq!(reader.headers().unwrap(), ["番号", "氏名", "備考"]);
        assert_eq!(
            rows,
            [
                row(2, &[("番号", "1"), ("氏名", "山田 太郎")]),
                row(
                    5,
                    &[("番号", "2"), ("氏名", "鈴木\r\n花子"), ("備考", "a\nb")]
                ),
                row(7, &[("番号", "3"), ("備考", " x ")]),
            ]
        );
    }

    #[test]
    fn csv_line_ends_of_every_kind_count_once() {
        for (csv, expected) in [
            ("h\n1\n\n2\n", [2, 4]),
            ("h\r\n1\r\n\r\n2\r\n", [2, 4]),
            ("h\r1\r\r2\r", [2, 4]),
            ("\u{feff}h\r\n1\n\r2", [2, 4]),
            ("h\n\"1\n\n\"\r\n\n2", [2, 4]),
        ] {
            let (_, rows) = read_ok(csv.as_bytes());
            let numbers: Vec<usize> = rows.iter().map(|r| r.as_ref().unwrap().row).collect();
            assert_eq!(numbers, expected, "{csv:?}");
        }
    }

    #[test]
    fn csv_with_bom() {
        let (reader, rows) = read_ok("\u{feff}id,name\n1,髙橋\n".as_bytes());
        assert_eq!(reader.format(), SourceFormat::Csv(Encoding::Utf8Bom));
        assert_eq!(reader.headers().unwrap(), ["id", "name"]);
        assert_eq!(rows, [row(2, &[("id", "1"), ("name", "髙橋")])]);
    }

    #[test]
    fn csv_in_shift_jis() {
        // 髙 and ① are CP932 extensions (IBM, NEC); 表 has 0x5C, the backslash, as its trail
        // byte; ｱ is a single-byte katakana.
        let csv = "氏名,備考\r\n髙橋 一郎,①表ｱ\r\n\"渡邊\r\n二郎\",\r\n";
        let (reader, rows) = read_ok(&shift_jis(csv));
        assert_eq!(reader.format(), SourceFormat::Csv(Encoding::ShiftJis));
        assert_eq!(reader.headers().unwrap(), ["氏名", "備考"]);
        assert_eq!(
            rows,
            [
                row(2, &[("氏名", "髙橋 一郎"), ("備考", "①表ｱ")]),
                row(3, &[("氏名", "渡邊\r\n二郎")]),
            ]
        );
    }

    /// Rows of names long enough for characters to straddle every chunk boundary.
    fn many_names(rows: usize) -> String {
        let mut csv = "番号,氏名\r\n".to_owned();
        for i in 0..rows {
            csv += &format!("{i},髙橋 一郎{}\r\n", "表".repeat(i % 7));
        }
        csv
    }

    #[test]
    fn multibyte_characters_across_chunks_are_read_whole() {
        let csv = many_names(20_000);
        assert!(csv.len() > 4 * CHUNK);
        for (bytes, encoding) in [
            (csv.clone().into_bytes(), Encoding::Utf8),
            (shift_jis(&csv), Encoding::ShiftJis),
        ] {
            let (reader, rows) = read_ok(&bytes);
            assert_eq!(reader.format(), SourceFormat::Csv(encoding));
            assert_eq!(rows.len(), 20_000);
            for (i, r) in rows.iter().enumerate() {
                let r = r.as_ref().unwrap();
                assert_eq!(r.row, i + 2);
                let name = format!("髙橋 一郎{}", "表".repeat(i % 7));
                assert_eq!(r.get("氏名").and_then(Cell::as_text), Some(name.as_str()));
            }
        }
    }

    #[test]
    fn invalid_shift_jis_near_the_end_fails_the_file_before_any_row() {
        let csv = many_names(5_000);
        // 0x81 0x20: a lead byte without its trail byte; 0xFF: no Shift_JIS byte at all.
        for bad in [&b"\x81 "[..], b"\xff", b"\x82"] {
            let mut bytes = shift_jis(&csv);
            bytes.extend_from_slice(b"9999,");
            bytes.extend_from_slice(bad);
            bytes.extend_from_slice(b"\r\n");
            let file = file_of(&bytes);
            assert_eq!(
                RowReader::open(file.path()).err(),
                Some(FileError::Table(TableError::UndetectableEncoding)),
                "{bad:?}"
            );
        }
        // The same in UTF-8 with a BOM: never read as Shift_JIS.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(csv.as_bytes());
        bytes.extend_from_slice(b"1,\xE9\xAB\r\n");
        assert_eq!(
            read(&bytes).err(),
            Some(FileError::Table(TableError::UndetectableEncoding))
        );
    }

    #[test]
    fn shift_jis_decoding_fails_rather_than_replacing() {
        let mut raw = shift_jis("氏名\r\n髙橋\r\n");
        raw.extend_from_slice(b"\x81\x20\r\n");
        let mut reader = ShiftJisReader::new(&raw[..]);
        let mut text = Vec::new();
        let error = reader.read_to_end(&mut text).unwrap_err();
        assert!(is_malformed(&error));
        assert!(!String::from_utf8_lossy(&text).contains('\u{fffd}'));
    }

    #[test]
    fn empty_files() {
        for bytes in [
            &b""[..],
            b"  \r\n\t\n",
            b"\xef\xbb\xbf",
            b",,\n,\n",
            "\u{3000}\n\n \u{3000} ,".as_bytes(),
            // Row 1 holds only a stray byte order mark.
            b"\t\xef\xbb\xbf",
        ] {
            assert_eq!(
                read(bytes).err(),
                Some(FileError::Table(TableError::Empty)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn binary_files_are_not_tables() {
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x78\x9c\x00\x01\nendstream\n%%EOF\n";
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0";
        let utf16 = b"\xff\xfea\0,\0b\0";
        for bytes in [&pdf[..], png, xls, utf16, b"a,b\n1,\x002\n"] {
            assert_eq!(
                read(bytes).err(),
                Some(FileError::Table(TableError::NotATable)),
                "{bytes:?}"
            );
        }
        // A control byte past the first chunk, after bytes that are not UTF-8.
        let mut bytes = shift_jis(&many_names(5_000));
        bytes.extend_from_slice(b"\x00");
        assert_eq!(
            read(&bytes).err(),
            Some(FileError::Table(TableError::NotATable))
        );
        // Bytes that are not Shift_JIS make the encoding undetectable, even after a C1
        // control, as in `tabular`.
        assert_eq!(
            read(b"a,b\n\x80,\x81 \n").err(),
            Some(FileError::Table(TableError::UndetectableEncoding))
        );
        // C1 controls: U+0085 in UTF-8, a stray 0x80 in Shift_JIS.
        for bytes in [&b"a\n\xc2\x85\n"[..], b"a,b\n\x80,\x82\xa0\n"] {
            assert_eq!(
                read(bytes).err(),
                Some(FileError::Table(TableError::NotATable)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn header_problems() {
        for (csv, error) in [
            ("a,,b\n1,2,3\n", FileError::EmptyHeader { column: 1 }),
            (
                "a,b, A \n1,2,3\n",
                FileError::DuplicatedHeader {
                    column: 2,
                    first: 0,
                },
            ),
            ("\n\nname\nx\n", FileError::MissingHeader),
            (",\nname\n", FileError::MissingHeader),
            ("\u{feff}\u{feff},\n1\n", FileError::MissingHeader),
            // A byte order mark after an empty line is a cell of row 2.
            ("\n\u{feff}", FileError::MissingHeader),
        ] {
            assert_eq!(read(csv.as_bytes()).err(), Some(error), "{csv:?}");
        }
        let long_header = format!("a,{}\n", "x".repeat(MAX_CELL_BYTES + 1));
        match read(long_header.as_bytes()) {
            Err(FileError::InvalidHeader(e)) => assert_eq!((e.row, e.code), (1, "cell_too_long")),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn trailing_empty_headers_are_dropped_and_a_header_alone_is_no_rows() {
        let (reader, rows) = read_ok(b" a ,b,,\xe3\x80\x80,\r\n");
        assert_eq!(reader.headers().unwrap(), ["a", "b"]);
        assert!(rows.is_empty());
    }

    #[test]
    fn csv_row_errors_leave_the_other_rows_readable() {
        let mut csv = "a,b\n1,2,,\n1,2,3\n".to_owned();
        csv += &format!("x,{}\n", "y".repeat(MAX_CELL_BYTES + 1));
        csv += &format!("{}\n", "z,".repeat(MAX_COLUMNS));
        csv += &format!("{}\n", format!("{},", "y".repeat(60_000)).repeat(20));
        csv += "\n4,5\n";
        let (_, rows) = read_ok(csv.as_bytes());
        assert_eq!(
            codes(&rows),
            [
                (3, "extra_cell"),
                (4, "cell_too_long"),
                (5, "too_many_cells"),
                (6, "row_too_long")
            ]
        );
        assert_eq!(rows[0], row(2, &[("a", "1"), ("b", "2")]));
        assert_eq!(rows[5], row(8, &[("a", "4"), ("b", "5")]));
        let message = &rows[1].as_ref().unwrap_err().message_ja;
        assert_eq!(
            message,
            "3行目のC列に値がありますが、この列には見出しがありません。"
        );
    }

    #[test]
    fn an_unclosed_quote_takes_the_rest_of_the_file_without_holding_it() {
        let mut csv = "a,b\n1,\"open\n".to_owned();
        for _ in 0..20_000 {
            csv += "2,3\n";
        }
        let file = file_of(csv.as_bytes());
        let mut reader = RowReader::open(file.path()).unwrap();
        let error = reader.next_row().unwrap().unwrap().unwrap_err();
        assert_eq!((error.row, error.code), (2, "cell_too_long"));
        assert_eq!(reader.next_row(), Ok(None));
        let Rows::Tabular(Tabular {
            source: RawRows::Csv(csv),
            ..
        }) = &reader.rows
        else {
            unreachable!()
        };
        assert!(csv.output.len() <= 2 * MAX_CELL_BYTES);
    }

    #[test]
    fn too_many_rows() {
        // The limit is on row numbers, as a user counts them in Excel: the last row here is
        // row 5, the 4th after the header, though only the 3rd with data.
        let csv = b"a\n1\n\n2\n3\n";
        let error = |limit| FileError::Table(TableError::TooManyRows { limit });
        assert_eq!(read_limited(csv, 3).err(), Some(error(3)));
        assert_eq!(read_limited(csv, 4).map(|(_, rows)| rows.len()), Ok(3));
        // Empty rows past the limit do not count.
        assert_eq!(
            read_limited(b"a\n1\n2\n\n,\n", 2).map(|(_, rows)| rows.len()),
            Ok(2)
        );
        // The error repeats once returned.
        let file = file_of(csv);
        let mut reader = RowReader::open_limited(file.path(), 1).unwrap();
        assert!(reader.next_row().unwrap().is_some());
        assert_eq!(reader.next_row(), Err(error(1)));
        assert_eq!(reader.next_row(), Err(error(1)));
    }

    #[test]
    fn a_large_csv_is_read_with_buffers_of_constant_size() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        {
            let mut out = io::BufWriter::new(file.as_file_mut());
            writeln!(out, "番号,氏名,生年月日,備考").unwrap();
            for i in 0..200_000 {
                writeln!(out, "{i},\"山田\n太郎{i}\",1980-04-01,").unwrap();
            }
        }
        let mut reader = RowReader::open(file.path()).unwrap();
        let mut count = 0;
        while let Some(row) = reader.next_row().unwrap() {
            let row = row.unwrap();
            count += 1;
            assert_eq!(row.row, count + 1);
            // No row is kept past its turn: this one is dropped here.
            let Rows::Tabular(Tabular {
                source: RawRows::Csv(csv),
                ..
            }) = &reader.rows
            else {
                unreachable!()
            };
            assert_eq!((csv.output.len(), csv.ends.len()), (4096, 64));
            assert_eq!(csv.input.len(), CHUNK);
        }
        assert_eq!(count, 200_000);
    }

    // JSON Lines

    #[test]
    fn json_lines() {
        let jsonl = concat!(
            "\u{feff}{\"name\": \"山田 太郎\", \"age\": 42, \"tags\": [\"a\", 1], \"note\": null}\r\n",
            "\n",
            "  \t\r\n",
            "{\"b\": true, \"a\": \"\", \"c\": \" \", \"d\": 0.5}\n",
            "{}",
        );
        let (reader, rows) = read_ok(jsonl.as_bytes());
        assert_eq!(reader.format(), SourceFormat::JsonLines);
        assert_eq!(reader.headers(), None);
        assert_eq!(
            rows,
            [
                Ok(SourceRow {
                    row: 1,
                    cells: vec![
                        ("name".into(), Cell::Text("山田 太郎".into())),
                        ("age".into(), Cell::Json(json!(42))),
                        ("tags".into(), Cell::Json(json!(["a", 1]))),
                    ],
                }),
                Ok(SourceRow {
                    row: 4,
                    cells: vec![
                        ("b".into(), Cell::Json(json!(true))),
                        ("d".into(), Cell::Json(json!(0.5))),
                    ],
                }),
                Ok(SourceRow {
                    row: 5,
                    cells: vec![]
                }),
            ]
        );
    }

    #[test]
    fn json_lines_row_errors() {
        let long = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_ROW_BYTES));
        let lines = [
            "  {\"a\": 1}",
            "[1, 2]",
            "\"text\"",
            "{\"a\": 1",
            "{\"a\": 1} {\"b\": 2}",
            "{\"a\": {\"b\": 1}}",
            "{\"a\": [[{}]]}",
            "{\"a\": 1, \"a\": 2}",
            "{\"\": 1}",
            &long,
            "{\"a\": \"after the long line\"}",
            "{\"a\": 1} 　",
        ];
        let (_, rows) = read_ok(lines.join("\n").as_bytes());
        assert_eq!(
            codes(&rows),
            [
                (2, "not_an_object"),
                (3, "not_an_object"),
                (4, "invalid_json"),
                (5, "invalid_json"),
                (6, "nested_object"),
                (7, "nested_object"),
                (8, "duplicated_key"),
                (9, "empty_key"),
                (10, "line_too_long"),
                (12, "invalid_json"),
            ]
        );
        assert_eq!(
            rows[0],
            Ok(SourceRow {
                row: 1,
                cells: vec![("a".into(), Cell::Json(json!(1)))]
            })
        );
        assert_eq!(rows[10], row(11, &[("a", "after the long line")]));
    }

    #[test]
    fn json_lines_must_be_utf8() {
        let mut bytes = b"{\"a\": \"x\"}\n{\"a\": \"".to_vec();
        bytes.extend_from_slice(&shift_jis("山田"));
        bytes.extend_from_slice(b"\"}\n");
        let file = file_of(&bytes);
        let mut reader = RowReader::open(file.path()).unwrap();
        assert!(reader.next_row().unwrap().unwrap().is_ok());
        assert_eq!(
            reader.next_row(),
            Err(FileError::InvalidEncoding {
                row: 2,
                encoding: Encoding::Utf8
            })
        );
    }

    #[test]
    fn json_lines_too_many_rows() {
        assert_eq!(
            read_limited(b"{}\n\n{}\n{}\n", 3).err(),
            Some(TableError::TooManyRows { limit: 3 }.into())
        );
        assert_eq!(
            read_limited(b"{}\n\n{}\n\n", 3).map(|(_, rows)| rows.len()),
            Ok(2)
        );
    }

    // XLSX

    fn xlsx_of(
        build: impl FnOnce(&mut Workbook) -> Result<(), rust_xlsxwriter::XlsxError>,
    ) -> Vec<u8> {
        let mut workbook = Workbook::new();
        build(&mut workbook).unwrap();
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_cells_read_as_text() {
        let bytes = xlsx_of(|workbook| {
            let date = XlsxFormat::new().set_num_format("yyyy-mm-dd");
            let datetime = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
            let sheet = workbook.add_worksheet();
            for (column, header) in ["医療機関コード", "氏名", "生年月日", " 備考 "]
                .into_iter()
                .enumerate()
            {
                sheet.write_string(0, column as u16, header)?;
            }
            sheet.write_number(1, 0, 1_312_345_678.0)?;
            sheet.write_string(1, 1, "山田\n太郎")?;
            sheet.write_datetime_with_format(1, 2, XlsxDate::from_ymd(1980, 4, 1)?, &date)?;
            // Row 3 empty; row 4 holds a whitespace-only cell, so it is empty too.
            sheet.write_string(3, 1, " ")?;
            sheet.write_boolean(4, 1, true)?;
            sheet.write_datetime_with_format(
                4,
                2,
                XlsxDate::from_ymd(2024, 12, 31)?.and_hms(23, 59, 30)?,
                &datetime,
            )?;
            sheet.write_number(4, 3, -0.5)?;
            // Row 6: a value beyond the header.
            sheet.write_string(5, 4, "x")?;
            Ok(())
        });
        let (reader, rows) = read_ok(&bytes);
        assert_eq!(reader.format(), SourceFormat::Xlsx);
        assert_eq!(
            reader.headers().unwrap(),
            ["医療機関コード", "氏名", "生年月日", "備考"]
        );
        assert_eq!(
            rows[..2],
            [
                row(
                    2,
                    &[
                        ("医療機関コード", "1312345678"),
                        ("氏名", "山田\n太郎"),
                        ("生年月日", "1980-04-01")
                    ]
                ),
                row(
                    5,
                    &[
                        ("氏名", "true"),
                        ("生年月日", "2024-12-31T23:59:30"),
                        ("備考", "-0.5")
                    ]
                ),
            ]
        );
        assert_eq!(codes(&rows), [(6, "extra_cell")]);
    }

    #[test]
    fn xlsx_reads_the_first_visible_worksheet() {
        let bytes = xlsx_of(|workbook| {
            workbook
                .add_worksheet()
                .set_name("codes")?
                .set_hidden(true)
                .write_string(0, 0, "hidden")?;
            workbook
                .add_worksheet()
                .set_name("forms")?
                .set_active(true)
                .write_string(0, 0, "name")?
                .write_string(1, 0, "visible")?;
            Ok(())
        });
        let (_, rows) = read_ok(&bytes);
        assert_eq!(rows, [row(2, &[("name", "visible")])]);
    }

    #[test]
    fn xlsx_header_problems_and_empty_sheets() {
        let empty = xlsx_of(|workbook| {
            workbook.add_worksheet();
            Ok(())
        });
        assert_eq!(read(&empty).err(), Some(TableError::Empty.into()));
        let below = xlsx_of(|workbook| {
            workbook.add_worksheet().write_string(2, 1, "x")?;
            Ok(())
        });
        assert_eq!(read(&below).err(), Some(FileError::MissingHeader));
        let duplicated = xlsx_of(|workbook| {
            workbook
                .add_worksheet()
                .write_string(0, 0, "name")?
                .write_string(0, 2, "Name")?;
            Ok(())
        });
        assert_eq!(
            read(&duplicated).err(),
            Some(FileError::EmptyHeader { column: 1 })
        );
    }

    /// A workbook written by hand, to hold what no spreadsheet program writes.
    fn crafted_xlsx(sheet_data: &str) -> Vec<u8> {
        let parts = [
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#),
            ),
        ];
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, content) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn inline(reference: &str, text: &str) -> String {
        format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn crafted_xlsx_cells_out_of_column_order_are_placed() {
        // Cells out of column order, and the same cell twice (the later wins).
        let data = format!(
            r#"<row r="1">{}{}</row><row r="2">{}{}{}</row>"#,
            inline("A1", "h"),
            inline("B1", "i"),
            inline("B2", "b"),
            inline("A2", "first"),
            inline("A2", "a")
        );
        let (_, rows) = read_ok(&crafted_xlsx(&data));
        assert_eq!(rows, [row(2, &[("h", "a"), ("i", "b")])]);
    }

    #[test]
    fn crafted_xlsx_rows_out_of_order_fail_the_file() {
        let data = format!(
            r#"<row r="1">{}</row><row r="3">{}</row><row r="2">{}</row>"#,
            inline("A1", "h"),
            inline("A3", "x"),
            inline("A2", "y")
        );
        let file = file_of(&crafted_xlsx(&data));
        let mut reader = RowReader::open(file.path()).unwrap();
        assert_eq!(reader.next_row(), Ok(Some(row(3, &[("h", "x")]))));
        assert_eq!(
            reader.next_row().map_err(|e| e.code()),
            Err("unreadable_xlsx")
        );
    }

    #[test]
    fn crafted_xlsx_far_and_overflowing_cells() {
        // The last cell of a sheet, a cell past it, and references calamine overflows on
        // (a panic in a debug build, caught).
        let data = format!(
            r#"<row r="1">{}</row><row r="1000001">{}</row>"#,
            inline("A1", "h"),
            inline("XFD1000001", "far")
        );
        let (_, rows) = read_ok(&crafted_xlsx(&data));
        assert_eq!(codes(&rows), [(1_000_001, "extra_cell")]);
        let data = format!(
            r#"<row r="1">{}</row><row r="2">{}</row>"#,
            inline("A1", "h"),
            inline("XFE2", "x")
        );
        let (_, rows) = read_ok(&crafted_xlsx(&data));
        assert_eq!(codes(&rows), [(2, "too_many_cells")]);
        for reference in ["ZZZZZZZZZZZZ2", "A99999999999"] {
            let data = format!(
                r#"<row r="1">{}</row><row r="2">{}</row>"#,
                inline("A1", "h"),
                inline(reference, "secret")
            );
            match read(&crafted_xlsx(&data)) {
                Err(e) => {
                    assert_eq!(e.code(), "unreadable_xlsx", "{reference}");
                    assert!(!e.message_en().contains("secret"));
                }
                Ok((_, rows)) => panic!("{reference}: {rows:?}"),
            }
        }
    }

    #[test]
    fn truncated_or_broken_xlsx_is_an_xlsx_error() {
        let bytes = xlsx_of(|workbook| {
            let sheet = workbook.add_worksheet();
            for i in 0..2_000 {
                sheet.write_string(i, 0, format!("cell {i}"))?;
            }
            Ok(())
        });
        for len in [bytes.len() - 1, bytes.len() / 2, 30, 4] {
            assert_eq!(
                read(&bytes[..len]).err().map(|e| e.code()),
                Some("unreadable_xlsx"),
                "{len}"
            );
        }
        assert_eq!(
            read(b"PK\x03\x04junk").err().map(|e| e.code()),
            Some("unreadable_xlsx")
        );
    }

    // Errors and formats

    #[test]
    fn file_errors_have_codes_and_messages() {
        let errors = [
            FileError::Table(TableError::Empty),
            FileError::MissingHeader,
            FileError::EmptyHeader { column: 27 },
            FileError::DuplicatedHeader {
                column: 2,
                first: 0,
            },
            FileError::InvalidHeader(RowProblem::RowTooLong.at(1)),
            FileError::InvalidEncoding {
                row: 3,
                encoding: Encoding::ShiftJis,
            },
            FileError::Io {
                kind: io::ErrorKind::NotFound,
            },
        ];
        let mut all: Vec<&str> = errors.iter().map(FileError::code).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), errors.len());
        for error in &errors {
            assert!(!error.message_ja().is_empty());
            assert_eq!(error.message_en(), error.to_string());
        }
        assert_eq!(
            FileError::EmptyHeader { column: 27 }.message_ja(),
            "1行目のAB列の見出しが空です。"
        );
    }

    #[test]
    fn row_errors_have_distinct_codes() {
        let problems = [
            RowProblem::CellTooLong { column: 0 },
            RowProblem::RowTooLong,
            RowProblem::LineTooLong,
            RowProblem::TooManyCells,
            RowProblem::ExtraCell { column: 0 },
            RowProblem::InvalidJson { column: 1 },
            RowProblem::NotAnObject,
            RowProblem::NestedObject,
            RowProblem::EmptyKey,
            RowProblem::DuplicatedKey,
        ];
        let errors: Vec<RowError> = problems.iter().map(|p| p.at(7)).collect();
        let mut all: Vec<&str> = errors.iter().map(|e| e.code).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), problems.len());
        for error in &errors {
            assert_eq!(error.row, 7);
            assert!(error.message_ja.contains('7') && error.message_en.contains('7'));
        }
    }

    #[test]
    fn column_names() {
        for (column, name) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (701, "ZZ"),
            (16_383, "XFD"),
        ] {
            assert_eq!(column_name(column), name);
        }
    }

    #[test]
    fn formats_serialize_as_codes() {
        for (format, code) in [
            (SourceFormat::Csv(Encoding::Utf8), "\"csv_utf8\""),
            (SourceFormat::Csv(Encoding::Utf8Bom), "\"csv_utf8_bom\""),
            (SourceFormat::Csv(Encoding::ShiftJis), "\"csv_shift_jis\""),
            (SourceFormat::Xlsx, "\"xlsx\""),
            (SourceFormat::JsonLines, "\"jsonl\""),
        ] {
            assert_eq!(serde_json::to_string(&format).unwrap(), code);
            assert_eq!(serde_json::from_str::<SourceFormat>(code).unwrap(), format);
            assert_eq!(format!("\"{format}\""), code);
        }
        assert!(serde_json::from_str::<SourceFormat>("\"csv\"").is_err());
    }

    #[test]
    fn a_reader_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<RowReader>();
    }
}
