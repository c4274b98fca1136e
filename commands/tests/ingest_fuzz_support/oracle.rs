//! A reference reader for the property tests: reads a CSV file whole, by the rules the
//! streaming readers of `commands::ingest` follow (the encoding detected from the content, rows
//! numbered as Excel shows them, empty rows dropped), with the `csv` crate and `encoding_rs` on
//! the whole text. It is what `commands::tabular` was before the one streaming reader replaced
//! it: an independent implementation to compare against.

use std::borrow::Cow;

use commands::ingest::{Encoding, TableError};

/// The most data rows.
const MAX_ROWS: usize = 1_000_000;

pub struct Record {
    pub row: usize,
    pub cells: Vec<String>,
}

pub struct Table {
    pub encoding: Encoding,
    /// The cells of row 1, trimmed (empty when row 1 is empty).
    pub headers: Vec<String>,
    pub records: Vec<Record>,
}

/// Reads a CSV file (not XLSX, not JSON Lines) whole.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    let (encoding, text) = decode(bytes)?;
    read_csv(&text, encoding, MAX_ROWS)
}

/// Detects the encoding of a text file and decodes it.
fn decode(bytes: &[u8]) -> Result<(Encoding, Cow<'_, str>), TableError> {
    // Checked on the bytes first, so that a binary file (a PDF, an .xls, a UTF-16 text) is
    // "not a table" rather than "undetectable encoding". In UTF-8 and in Shift_JIS these bytes
    // only ever stand for themselves (no trail byte is below 0x40 or is 0x7F).
    if bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f)
    {
        return Err(TableError::NotATable);
    }
    let (encoding, text) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|_| TableError::UndetectableEncoding)?;
        (Encoding::Utf8Bom, Cow::Borrowed(text))
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (Encoding::Utf8, Cow::Borrowed(text))
    } else {
        let text = encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(TableError::UndetectableEncoding)?;
        (Encoding::ShiftJis, text)
    };
    // C1 controls: Shift_JIS decodes a stray 0x80 to U+0080, and no spreadsheet writes them.
    if text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return Err(TableError::NotATable);
    }
    Ok((encoding, text))
}

/// Parses decoded CSV text (RFC 4180 quoting, CRLF, LF or CR line ends).
fn read_csv(text: &str, encoding: Encoding, max_rows: usize) -> Result<Table, TableError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut builder = TableBuilder::new(encoding, max_rows);
    // The row number of the last record read, as Excel numbers it.
    let mut row = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(TableError::Csv {
                    row: row + 1,
                    message: csv_message(&e),
                })
            }
        }
        // The csv crate skips empty lines silently, but Excel shows each as a row: count the
        // line ends the reader skipped before this record started.
        let start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        row += 1 + skipped_lines(text.as_bytes(), start);
        builder.push(row, record.iter().map(str::to_owned).collect())?;
    }
    builder.finish()
}

/// The empty lines at `start`, where the reader began looking for a record: a run of line ends
/// (CRLF, LF or CR each one line). A record cannot start with a line end of its own, since a
/// cell holding one must be quoted.
fn skipped_lines(text: &[u8], start: usize) -> usize {
    let mut i = start;
    // The reader may stop between the CR and the LF of the previous record's CRLF.
    if i > 0 && text.get(i - 1) == Some(&b'\r') && text.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut lines = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'\r' => {
                lines += 1;
                if text.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => lines += 1,
            _ => break,
        }
        i += 1;
    }
    lines
}

/// Describes a csv error by its kind only: its text could include a cell.
fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Io(e) => format!("read error ({})", e.kind()),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths { .. } => "unequal row lengths".to_owned(),
        _ => "malformed CSV".to_owned(),
    }
}
/// Collects rows in order into a table: row 1 is the header, empty rows are dropped, short
/// rows padded, and the row limit enforced.
struct TableBuilder {
    encoding: Encoding,
    max_rows: usize,
    headers: Vec<String>,
    records: Vec<Record>,
}

impl TableBuilder {
    fn new(encoding: Encoding, max_rows: usize) -> Self {
        Self {
            encoding,
            max_rows,
            headers: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Adds row number `row` (1-based, increasing).
    fn push(&mut self, row: usize, mut cells: Vec<String>) -> Result<(), TableError> {
        if row == 1 {
            self.headers = cells
                .iter()
                .map(|h| normalize_header(h).to_owned())
                .collect();
            return Ok(());
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        if row - 1 > self.max_rows {
            return Err(TableError::TooManyRows {
                limit: self.max_rows,
            });
        }
        if cells.len() < self.headers.len() {
            cells.resize(self.headers.len(), String::new());
        }
        self.records.push(Record { row, cells });
        Ok(())
    }

    fn finish(self) -> Result<Table, TableError> {
        if self.records.is_empty() && self.headers.iter().all(String::is_empty) {
            return Err(TableError::Empty);
        }
        Ok(Table {
            encoding: self.encoding,
            headers: self.headers,
            records: self.records,
        })
    }
}

/// A header as compared: trimmed of whitespace (including the ideographic space) and of a
/// stray byte order mark, which some tools write twice.
pub(crate) fn normalize_header(header: &str) -> &str {
    header.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}
