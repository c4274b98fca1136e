//! Reads an uploaded tabular file — CSV (UTF-8, UTF-8 with BOM or Shift_JIS/CP932) or XLSX —
//! into rows of text numbered as the user sees them in Excel, and maps its header row to the
//! columns a bulk import expects. Used by bulk user registration, later by bulk form imports.
//!
//! The files carry personal data: no error of this module quotes a cell, except
//! [`HeaderError::unknown`], which lists header cells and is documented as such.

use std::borrow::Cow;
use std::fmt;
use std::io::Cursor;

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, XlsxError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most data rows (rows after the header) a file may have. A non-empty row below row
/// `MAX_ROWS + 1` makes the whole file [`TableError::TooManyRows`].
pub const MAX_ROWS: usize = 1_000_000;

/// Excel's own last column (XFD). calamine does not bound the column of a crafted cell
/// reference, and a row is built densely up to its last cell.
pub(crate) const MAX_COLUMNS: u32 = 16_384;

/// An XLSX file is a zip archive: its first local file header.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Excel's last serial date (9999-12-31 is 2958465): beyond it a "date" is garbage.
const MAX_EXCEL_SERIAL: f64 = 2_958_466.0;

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

/// What kind of file was read. Serialized as `csv_utf8`, `csv_utf8_bom`, `csv_shift_jis` or
/// `xlsx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv(Encoding),
    Xlsx,
}

impl Format {
    /// The stable name of the format, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv(Encoding::Utf8) => "csv_utf8",
            Format::Csv(Encoding::Utf8Bom) => "csv_utf8_bom",
            Format::Csv(Encoding::ShiftJis) => "csv_shift_jis",
            Format::Xlsx => "xlsx",
        }
    }

    /// The format of a [`Format::code`].
    pub fn from_code(code: &str) -> Option<Format> {
        [
            Format::Csv(Encoding::Utf8),
            Format::Csv(Encoding::Utf8Bom),
            Format::Csv(Encoding::ShiftJis),
            Format::Xlsx,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Cow::<str>::deserialize(deserializer)?;
        Format::from_code(&code).ok_or_else(|| {
            serde::de::Error::unknown_variant(
                &code,
                &["csv_utf8", "csv_utf8_bom", "csv_shift_jis", "xlsx"],
            )
        })
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The 1-based row number a user sees in Excel: the header is row 1, the first data row
    /// row 2. Skipped empty rows still count. In a CSV a quoted cell spanning several lines
    /// is still one row, as Excel shows it.
    pub row: usize,
    /// The cells as written (not trimmed). A row shorter than the header is padded with empty
    /// cells; a longer one is returned as is, for the caller to judge.
    pub cells: Vec<String>,
}

/// A file read into a header row and data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub format: Format,
    /// The cells of row 1, trimmed. The header must be row 1: when row 1 is empty, these are
    /// empty and every later row is data.
    pub headers: Vec<String>,
    /// Rows 2 and after, without the rows whose cells are all empty or blank.
    records: Vec<Record>,
}

impl Table {
    /// The data rows, in file order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }

    /// The number of data rows (empty rows not counted).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Maps the expected columns to the indexes of the header cells that name them.
    ///
    /// A header cell names a column when, trimmed, it equals one of the column's names
    /// (ASCII letters compared without case). Empty header cells are ignored. Missing required
    /// columns, header cells naming no column and columns named twice are all reported in one
    /// error, so the user fixes the header in one go.
    pub fn columns(&self, expected: &[Column]) -> Result<ColumnMap, HeaderError> {
        let mut found: Vec<(&'static str, usize)> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut duplicated: Vec<String> = Vec::new();
        let mut recognized = 0;
        for (index, header) in self.headers.iter().enumerate() {
            let header = normalize_header(header);
            if header.is_empty() {
                continue;
            }
            let Some(column) = expected.iter().find(|c| c.accepts(header)) else {
                push_once(&mut unknown, header);
                continue;
            };
            recognized += 1;
            match found.iter().find(|(id, _)| *id == column.id) {
                None => found.push((column.id, index)),
                Some(&(_, first)) => {
                    push_once(&mut duplicated, normalize_header(&self.headers[first]));
                    push_once(&mut duplicated, header);
                }
            }
        }
        let missing_columns: Vec<&Column> = expected
            .iter()
            .filter(|c| c.required && !found.iter().any(|(id, _)| *id == c.id))
            .collect();
        if missing_columns.is_empty() && unknown.is_empty() && duplicated.is_empty() {
            return Ok(ColumnMap { columns: found });
        }
        Err(HeaderError {
            missing: missing_columns.iter().map(|c| c.id).collect(),
            unknown,
            duplicated,
            missing_names: missing_columns.iter().map(|c| c.names).collect(),
            recognized,
        })
    }
}

/// A column an import expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name the import code uses for it.
    pub id: &'static str,
    /// The header texts accepted for it, e.g. `["institution_code", "医療機関コード"]`; the
    /// first is shown to users first.
    pub names: &'static [&'static str],
    pub required: bool,
}

impl Column {
    fn accepts(&self, header: &str) -> bool {
        self.names
            .iter()
            .any(|name| normalize_header(name).eq_ignore_ascii_case(header))
    }
}

/// Where each expected column is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    columns: Vec<(&'static str, usize)>,
}

impl ColumnMap {
    /// The trimmed cell of column `id` in `record`; `None` when the cell is empty or blank, or
    /// the column is not in the file.
    pub fn get<'r>(&self, record: &'r Record, id: &str) -> Option<&'r str> {
        let cell = record.cells.get(self.index(id)?)?.trim();
        (!cell.is_empty()).then_some(cell)
    }

    /// The 0-based index of column `id` in the file, if it has it (optional columns may be
    /// absent).
    pub fn index(&self, id: &str) -> Option<usize> {
        self.columns
            .iter()
            .find(|(column, _)| *column == id)
            .map(|&(_, index)| index)
    }
}

/// The header row does not match the expected columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub struct HeaderError {
    /// The ids of the required columns no header cell names.
    pub missing: Vec<&'static str>,
    /// Header cells (trimmed) that name no expected column. These are cells of the file: when
    /// the file has no header row they are the first data row, so do not log them.
    pub unknown: Vec<String>,
    /// Header cells (trimmed) naming a column that another header cell already names.
    pub duplicated: Vec<String>,
    missing_names: Vec<&'static [&'static str]>,
    /// How many header cells named an expected column: none means row 1 is not a header.
    recognized: usize,
}

/// At most this many header cells are quoted in one message.
const LISTED_HEADERS: usize = 10;
/// A quoted header cell is cut to this many characters.
const QUOTED_HEADER_CHARS: usize = 40;

impl HeaderError {
    pub fn code(&self) -> &'static str {
        "header_mismatch"
    }

    /// False when no header cell names an expected column: row 1 is then most likely data (the
    /// header row was left out), and the messages do not quote it.
    pub fn header_row_recognized(&self) -> bool {
        self.recognized > 0
    }

    pub fn message_ja(&self) -> String {
        let expected = join_names(&self.missing_names, Lang::Ja);
        if !self.header_row_recognized() {
            return format!(
                "1行目が見出し行になっていません。1行目に列名（{expected}）を入れてください。"
            );
        }
        let mut message = "1行目の見出しが正しくありません。".to_owned();
        if !self.missing.is_empty() {
            message += &format!("必須の列がありません：{expected}。");
        }
        if !self.unknown.is_empty() {
            let unknown = quote_headers(&self.unknown, Lang::Ja);
            message += &format!("不明な列があります：{unknown}。");
        }
        if !self.duplicated.is_empty() {
            let duplicated = quote_headers(&self.duplicated, Lang::Ja);
            message += &format!("同じ列が重複しています：{duplicated}。");
        }
        message
    }

    pub fn message_en(&self) -> String {
        let expected = join_names(&self.missing_names, Lang::En);
        if !self.header_row_recognized() {
            return format!(
                "Row 1 is not a header row: put the column names ({expected}) in row 1."
            );
        }
        let mut message = "The header row (row 1) is not as expected.".to_owned();
        if !self.missing.is_empty() {
            message += &format!(" Missing required columns: {expected}.");
        }
        if !self.unknown.is_empty() {
            let unknown = quote_headers(&self.unknown, Lang::En);
            message += &format!(" Unknown columns: {unknown}.");
        }
        if !self.duplicated.is_empty() {
            let duplicated = quote_headers(&self.duplicated, Lang::En);
            message += &format!(" Columns given more than once: {duplicated}.");
        }
        message
    }
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

/// Reads an uploaded file as a table: XLSX when it is a zip archive (its first visible
/// worksheet), otherwise CSV in UTF-8 (with or without BOM) or Shift_JIS.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    read_table_limited(bytes, MAX_ROWS)
}

fn read_table_limited(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return read_xlsx(bytes, max_rows);
    }
    let (encoding, text) = decode(bytes)?;
    read_csv(&text, encoding, max_rows)
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
    let mut builder = TableBuilder::new(Format::Csv(encoding), max_rows);
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

/// Reads the first visible worksheet of an XLSX file.
fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    // calamine is not panic-free on crafted files (its cell reference parser overflows u32,
    // which panics in a debug build), and an upload must never take the worker down.
    std::panic::catch_unwind(|| read_xlsx_unguarded(bytes, max_rows)).unwrap_or_else(|_| {
        Err(TableError::Xlsx(
            "the workbook's structure is invalid".to_owned(),
        ))
    })
}

fn read_xlsx_unguarded(bytes: &[u8], max_rows: usize) -> Result<Table, TableError> {
    // calamine reserves room for the string count the shared strings table declares before
    // reading one: a crafted count aborts the process (no unwinding to catch). Checked first.
    let mut archive = Cursor::new(bytes);
    crate::import_source::check_shared_strings(&mut archive).map_err(|e| match e {
        crate::import_source::FileError::Table(t) => t,
        other => TableError::Xlsx(other.message_en()),
    })?;
    let mut workbook = Xlsx::new(archive).map_err(xlsx_error)?;
    // The first sheet a user sees when opening the file; a hidden first sheet is typically
    // a template's list of codes.
    let sheet = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .ok_or(TableError::NoSheet)?;
    // Cell by cell rather than `worksheet_range`: a range is allocated densely over the
    // bounding box of the used cells, which a file with cells in A1 and XFD1048576 makes
    // billions of cells.
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(xlsx_error)?;
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (row, column) = cell.get_position();
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        if column >= MAX_COLUMNS {
            return Err(TableError::Xlsx(
                "a cell lies beyond the last column".to_owned(),
            ));
        }
        // Row index 0 is row 1, the header.
        if usize::try_from(row).map_or(true, |r| r > max_rows) && !text.trim().is_empty() {
            return Err(TableError::TooManyRows { limit: max_rows });
        }
        cells.push((row, column, text));
    }
    // Cells usually come in order, but nothing in the format requires it. The sort is stable,
    // so of two cells at one position the later in the file wins, as below.
    cells.sort_by_key(|&(row, column, _)| (row, column));
    let mut builder = TableBuilder::new(Format::Xlsx, max_rows);
    let mut cells = cells.into_iter().peekable();
    while let Some(&(row, _, _)) = cells.peek() {
        let mut texts: Vec<String> = Vec::new();
        while let Some((_, column, text)) = cells.next_if(|&(r, _, _)| r == row) {
            let column = column as usize;
            if texts.len() <= column {
                texts.resize(column + 1, String::new());
            }
            texts[column] = text;
        }
        builder.push(row as usize + 1, texts)?;
    }
    builder.finish()
}

/// Describes a calamine error without the parts that can carry a cell's text (the value of an
/// unknown attribute, an XML parse error's excerpt).
pub(crate) fn xlsx_error(error: XlsxError) -> TableError {
    let detail: Cow<'static, str> = match &error {
        XlsxError::Io(e) => format!("read error ({})", e.kind()).into(),
        XlsxError::Zip(e) => format!("invalid zip archive ({e})").into(),
        XlsxError::Vba(_) => "invalid VBA project".into(),
        XlsxError::Xml(_) | XlsxError::XmlAttr(_) | XlsxError::Encoding(_) => {
            "malformed XML".into()
        }
        XlsxError::Parse(_) | XlsxError::ParseFloat(_) | XlsxError::ParseInt(_) => {
            "a number could not be read".into()
        }
        XlsxError::XmlEof(tag) => format!("unexpected end of XML, expecting </{tag}>").into(),
        XlsxError::UnexpectedNode(node) => format!("expecting a '{node}' node").into(),
        XlsxError::FileNotFound(part) => format!("part '{part}' is missing").into(),
        XlsxError::RelationshipNotFound => "a relationship is missing".into(),
        XlsxError::Alphanumeric(_)
        | XlsxError::NumericColumn(_)
        | XlsxError::RangeWithoutColumnComponent
        | XlsxError::RangeWithoutRowComponent
        | XlsxError::ColumnNumberOverflow
        | XlsxError::RowNumberOverflow
        | XlsxError::DimensionCount(_) => "an invalid cell reference".into(),
        XlsxError::CellTAttribute(_) => "an unknown cell type".into(),
        XlsxError::Unexpected(what) => (*what).into(),
        XlsxError::Unrecognized { typ, .. } => format!("unrecognized {typ}").into(),
        XlsxError::CellError(_) => "an unknown cell error value".into(),
        XlsxError::Password => "the workbook is password protected".into(),
        XlsxError::WorksheetNotFound(_) | XlsxError::NotAWorksheet(_) => {
            "the worksheet could not be read".into()
        }
        XlsxError::TableNotFound(_) | XlsxError::PivotTableNotFound(_) => {
            "a table is missing".into()
        }
    };
    TableError::Xlsx(detail.into_owned())
}

/// A cell as text: what a user would type to get it back.
pub(crate) fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => date_text(dt),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// A number as its shortest text: whole numbers without ".0" (1312345678.0 is an institution
/// code typed into a number cell, "1312345678"), never an exponent.
fn number_text(f: f64) -> String {
    if !f.is_finite() {
        // Only a crafted file holds these.
        String::new()
    } else if f == 0.0 {
        // Not "-0".
        "0".to_owned()
    } else {
        f.to_string()
    }
}

/// A date `YYYY-MM-DD`, a date and time `YYYY-MM-DDTHH:MM:SS`, a time of day alone (a serial
/// below 1) `HH:MM:SS`, an elapsed time (`[h]:mm` formats) `H:MM:SS`. Milliseconds are dropped.
fn date_text(dt: &ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if !(0.0..MAX_EXCEL_SERIAL).contains(&serial) {
        // Excel shows ##### for these; the number is all there is.
        return number_text(serial);
    }
    if dt.is_duration() {
        // In range, so the cast cannot saturate.
        let seconds = (serial * 86_400.0).round() as u64;
        let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        return format!("{h}:{m:02}:{s:02}");
    }
    let (year, month, day, h, m, s, _) = dt.to_ymd_hms_milli();
    if serial < 1.0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else if (h, m, s) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")
    }
}

/// Collects rows in order into a table: row 1 is the header, empty rows are dropped, short
/// rows padded, and the row limit enforced.
struct TableBuilder {
    format: Format,
    max_rows: usize,
    headers: Vec<String>,
    records: Vec<Record>,
}

impl TableBuilder {
    fn new(format: Format, max_rows: usize) -> Self {
        Self {
            format,
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
            format: self.format,
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

fn push_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_owned());
    }
}

#[derive(Clone, Copy)]
enum Lang {
    Ja,
    En,
}

/// The accepted names of each column, e.g. "institution_code／医療機関コード".
fn join_names(columns: &[&'static [&'static str]], lang: Lang) -> String {
    let (alias, column) = match lang {
        Lang::Ja => ("／", "、"),
        Lang::En => (" / ", ", "),
    };
    columns
        .iter()
        .map(|names| names.join(alias))
        .collect::<Vec<_>>()
        .join(column)
}

/// Header cells, quoted, the first few only and each cut short.
fn quote_headers(headers: &[String], lang: Lang) -> String {
    let mut quoted: Vec<String> = headers
        .iter()
        .take(LISTED_HEADERS)
        .map(|h| {
            let mut chars = h.chars();
            let cut: String = chars.by_ref().take(QUOTED_HEADER_CHARS).collect();
            let ellipsis = if chars.next().is_some() { "…" } else { "" };
            match lang {
                Lang::Ja => format!("「{cut}{ellipsis}」"),
                Lang::En => format!("\"{cut}{ellipsis}\""),
            }
        })
        .collect();
    let more = headers.len().saturating_sub(LISTED_HEADERS);
    if more > 0 {
        quoted.push(match lang {
            Lang::Ja => format!("他{more}件"),
            Lang::En => format!("{more} more"),
        });
    }
    let separator = match lang {
        Lang::Ja => "、",
        Lang::En => ", ",
    };
    quoted.join(separator)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    /// A 1.7 KB workbook whose shared strings table declares 999,999,999,999 strings: calamine
    /// would reserve memory for them and abort the process.
    #[test]
    fn a_workbook_declaring_a_huge_string_count_is_refused_not_an_abort() {
        let bytes = include_bytes!("../tests/fuzz-regressions/xlsx-unique-count-abort.xlsx");
        let error = read_table(bytes).expect_err("refused");
        assert_eq!(error.code(), "unreadable_xlsx", "{error}");
    }

    use proptest::prelude::*;
    use rust_xlsxwriter::{ExcelDateTime as XlsxDate, Format as XlsxFormat, Workbook};

    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            id: "institution_code",
            names: &["institution_code", "医療機関コード"],
            required: true,
        },
        Column {
            id: "name",
            names: &["name", "氏名"],
            required: true,
        },
        Column {
            id: "note",
            names: &["note", "備考"],
            required: false,
        },
    ];

    fn rows(table: &Table) -> Vec<(usize, Vec<&str>)> {
        table
            .records()
            .map(|r| (r.row, r.cells.iter().map(String::as_str).collect()))
            .collect()
    }

    fn read_ok(bytes: &[u8]) -> Table {
        match read_table(bytes) {
            Ok(table) => table,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn utf8_csv() {
        let table = read_ok("医療機関コード,氏名\n1312345678,山田 太郎\n".as_bytes());
        assert_eq!(table.format, Format::Csv(Encoding::Utf8));
        assert_eq!(table.headers, ["医療機関コード", "氏名"]);
        assert_eq!(rows(&table), [(2, vec!["1312345678", "山田 太郎"])]);
        assert_eq!(table.len(), 1);
        assert!(!table.is_empty());
    }

    #[test]
    fn utf8_csv_with_bom() {
        let table = read_ok("\u{feff}医療機関コード,氏名\r\n1312345678,山田太郎\r\n".as_bytes());
        assert_eq!(table.format, Format::Csv(Encoding::Utf8Bom));
        // The BOM is not part of the first header.
        assert_eq!(table.headers, ["医療機関コード", "氏名"]);
        assert_eq!(rows(&table), [(2, vec!["1312345678", "山田太郎"])]);
    }

    #[test]
    fn shift_jis_csv() {
        // Kanji, hiragana, half-width kana, and CP932's extensions (髙 is an IBM extension,
        // ① and ㈱ NEC special characters) that plain JIS X 0208 lacks.
        let text = "医療機関コード,氏名,備考\r\n1312345678,髙橋 ｱｲ,①㈱ひらがな\r\n";
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err());
        let table = read_ok(&bytes);
        assert_eq!(table.format, Format::Csv(Encoding::ShiftJis));
        assert_eq!(table.headers, ["医療機関コード", "氏名", "備考"]);
        assert_eq!(
            rows(&table),
            [(2, vec!["1312345678", "髙橋 ｱｲ", "①㈱ひらがな"])]
        );
    }

    #[test]
    fn line_ends_crlf_lf_and_cr() {
        let table = read_ok(b"a,b\r\n1,2\r\n3,4\n5,6\r7,8");
        assert_eq!(
            rows(&table),
            [
                (2, vec!["1", "2"]),
                (3, vec!["3", "4"]),
                (4, vec!["5", "6"]),
                (5, vec!["7", "8"]),
            ]
        );
    }

    #[test]
    fn quoted_cells_with_commas_quotes_and_newlines_are_one_row() {
        // Excel shows a quoted line break as a line inside one cell, so the record is one
        // row and the next record is the next row, whatever the physical line count.
        let csv =
            "a,b\r\n\"東京都,千代田区\",\"1行目\r\n2行目\n3行目\"\r\n\"say \"\"hi\"\"\",x\r\n";
        let table = read_ok(csv.as_bytes());
        assert_eq!(
            rows(&table),
            [
                (2, vec!["東京都,千代田区", "1行目\r\n2行目\n3行目"]),
                (3, vec!["say \"hi\"", "x"]),
            ]
        );
    }

    #[test]
    fn short_rows_are_padded_and_long_rows_kept() {
        let table = read_ok(b"a,b,c\n1\n1,2,3,4\n");
        assert_eq!(
            rows(&table),
            [(2, vec!["1", "", ""]), (3, vec!["1", "2", "3", "4"])]
        );
    }

    #[test]
    fn empty_rows_are_skipped_and_still_counted() {
        // Row 3 is an empty line, 4 and 5 have only empty or blank cells, 7 and 8 are empty
        // lines after a CRLF, and 10 is empty at the end.
        let csv = "a,b\n1,2\n\n,\n \t,\u{3000}\n3,4\r\n\r\n\r\n5,6\n\n";
        let table = read_ok(csv.as_bytes());
        assert_eq!(
            rows(&table),
            [
                (2, vec!["1", "2"]),
                (6, vec!["3", "4"]),
                (9, vec!["5", "6"]),
            ]
        );
    }

    #[test]
    fn the_header_is_row_1_even_when_row_1_is_empty() {
        let table = read_ok(b"\nname,institution_code\nx,1\n");
        assert!(table.headers.is_empty());
        assert_eq!(
            rows(&table),
            [(2, vec!["name", "institution_code"]), (3, vec!["x", "1"])]
        );
        let error = table.columns(COLUMNS).unwrap_err();
        assert_eq!(error.missing, ["institution_code", "name"]);
    }

    #[test]
    fn a_header_without_data_is_an_empty_table_not_an_error() {
        let table = read_ok(b"institution_code,name\r\n");
        assert!(table.is_empty());
        assert_eq!(table.records().count(), 0);
        assert!(table.columns(COLUMNS).is_ok());
    }

    #[test]
    fn headers_map_through_aliases_trimmed_and_ignoring_ascii_case() {
        let table = read_ok(" 氏名 ,,INSTITUTION_Code\u{3000}\n 山田 ,x, 1312345678 \n".as_bytes());
        assert_eq!(table.headers, ["氏名", "", "INSTITUTION_Code"]);
        let map = table.columns(COLUMNS).unwrap();
        let record = table.records().next().unwrap();
        assert_eq!(map.get(record, "name"), Some("山田"));
        assert_eq!(map.get(record, "institution_code"), Some("1312345678"));
        // An optional column that is not in the file, and a column the import does not have.
        assert_eq!(map.get(record, "note"), None);
        assert_eq!(map.index("note"), None);
        assert_eq!(map.get(record, "nonexistent"), None);
        assert_eq!(map.index("institution_code"), Some(2));
    }

    #[test]
    fn an_empty_or_blank_cell_reads_as_none() {
        let table = read_ok(b"institution_code,name,note\n1, ,\n");
        let map = table.columns(COLUMNS).unwrap();
        let record = table.records().next().unwrap();
        assert_eq!(map.get(record, "name"), None);
        assert_eq!(map.get(record, "note"), None);
    }

    #[test]
    fn header_problems_are_reported_together() {
        let table = read_ok("氏名,memo,name,memo,備考\n".as_bytes());
        let error = table.columns(COLUMNS).unwrap_err();
        assert_eq!(error.missing, ["institution_code"]);
        assert_eq!(error.unknown, ["memo"]);
        assert_eq!(error.duplicated, ["氏名", "name"]);
        assert!(error.header_row_recognized());
        assert_eq!(error.code(), "header_mismatch");
        assert_eq!(
            error.message_ja(),
            "1行目の見出しが正しくありません。必須の列がありません：institution_code／医療機関コード。\
             不明な列があります：「memo」。同じ列が重複しています：「氏名」、「name」。"
        );
        assert_eq!(
            error.to_string(),
            "The header row (row 1) is not as expected. Missing required columns: \
             institution_code / 医療機関コード. Unknown columns: \"memo\". \
             Columns given more than once: \"氏名\", \"name\"."
        );
    }

    #[test]
    fn a_missing_header_row_is_not_quoted_back() {
        // The user left the header out: row 1 is a person's data and must not be echoed.
        let table = read_ok("1312345678,山田太郎\n".as_bytes());
        let error = table.columns(COLUMNS).unwrap_err();
        assert!(!error.header_row_recognized());
        for message in [error.message_ja(), error.message_en()] {
            assert!(!message.contains("山田"), "{message}");
            assert!(!message.contains("1312345678"), "{message}");
            assert!(message.contains("医療機関コード"), "{message}");
        }
    }

    #[test]
    fn many_unknown_headers_are_listed_in_part() {
        let header: Vec<String> = (0..15).map(|i| format!("x{i}")).collect();
        let table = read_ok(format!("name,{}\n", header.join(",")).as_bytes());
        let error = table.columns(COLUMNS).unwrap_err();
        assert_eq!(error.unknown.len(), 15);
        assert!(error.message_en().contains("\"x9\", 5 more."));
        assert!(error.message_ja().contains("「x9」、他5件。"));
    }

    #[test]
    fn binary_files_are_not_tables() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0";
        let utf16 = b"\xff\xfea\0,\0b\0";
        for bytes in [&png[..], xls, utf16, b"a,b\n1,\x002\n", b"a\x0cb"] {
            assert_eq!(read_table(bytes), Err(TableError::NotATable), "{bytes:?}");
        }
        // Shift_JIS decodes a lone 0x80 to the C1 control U+0080.
        assert_eq!(
            read_table(b"a,b\n\x80,\x82\xa0\n"),
            Err(TableError::NotATable)
        );
    }

    #[test]
    fn text_neither_utf8_nor_shift_jis_is_undetectable() {
        // 0xFF is no Shift_JIS byte; 0x81 0x20 is a lead byte without its trail byte.
        for bytes in [
            &b"a,b\n\xff\xfe,1\n"[..],
            b"a,b\n\x81 ,1\n",
            b"\xef\xbb\xbfa\n\x82\xa0",
        ] {
            assert_eq!(
                read_table(bytes),
                Err(TableError::UndetectableEncoding),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn empty_files() {
        for bytes in [
            &b""[..],
            b"  \r\n\t\n",
            b"\xef\xbb\xbf",
            b",,\n,\n",
            "\u{3000}\n".as_bytes(),
        ] {
            assert_eq!(read_table(bytes), Err(TableError::Empty), "{bytes:?}");
        }
    }

    #[test]
    fn too_many_rows() {
        // The limit is on row numbers, as a user counts them in Excel: the last row here is
        // row 5, the 4th after the header, though only the 3rd with data.
        let csv = b"a\n1\n\n2\n3\n";
        assert_eq!(
            read_table_limited(csv, 3),
            Err(TableError::TooManyRows { limit: 3 })
        );
        assert_eq!(read_table_limited(csv, 4).map(|t| t.len()), Ok(3));
        // Empty rows past the limit do not count.
        assert_eq!(
            read_table_limited(b"a\n1\n2\n\n,\n", 2).map(|t| t.len()),
            Ok(2)
        );
    }

    #[test]
    fn errors_have_codes_and_messages() {
        let errors = [
            TableError::Empty,
            TableError::NotATable,
            TableError::UndetectableEncoding,
            TableError::Xlsx("malformed XML".into()),
            TableError::Csv {
                row: 3,
                message: "malformed CSV".into(),
            },
            TableError::TooManyRows { limit: MAX_ROWS },
            TableError::NoSheet,
        ];
        let mut codes: Vec<&str> = errors.iter().map(TableError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        for error in &errors {
            assert!(!error.message_ja().is_empty());
            assert_eq!(error.message_en(), error.to_string());
        }
        assert_eq!(
            TableError::TooManyRows { limit: MAX_ROWS }.message_ja(),
            "データ行が多すぎます。一度に読み込めるのは1000000行までです。"
        );
    }

    #[test]
    fn formats_serialize_as_codes() {
        for (format, code) in [
            (Format::Csv(Encoding::Utf8), "\"csv_utf8\""),
            (Format::Csv(Encoding::Utf8Bom), "\"csv_utf8_bom\""),
            (Format::Csv(Encoding::ShiftJis), "\"csv_shift_jis\""),
            (Format::Xlsx, "\"xlsx\""),
        ] {
            assert_eq!(serde_json::to_string(&format).unwrap(), code);
            assert_eq!(serde_json::from_str::<Format>(code).unwrap(), format);
        }
        assert!(serde_json::from_str::<Format>("\"csv\"").is_err());
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
            let time = XlsxFormat::new().set_num_format("hh:mm");
            let sheet = workbook.add_worksheet();
            for (column, header) in ["医療機関コード", "氏名", "生年月日", "備考", " 受付 "]
                .into_iter()
                .enumerate()
            {
                sheet.write_string(0, column as u16, header)?;
            }
            // Row 2: D2 left empty.
            sheet.write_number(1, 0, 1_312_345_678.0)?;
            sheet.write_string(1, 1, "山田 太郎")?;
            sheet.write_datetime_with_format(1, 2, XlsxDate::from_ymd(1980, 4, 1)?, &date)?;
            // Row 3 empty; row 4 holds a whitespace-only cell, so it is empty too.
            sheet.write_string(3, 1, " ")?;
            // Row 5.
            sheet.write_number(4, 0, 0.1)?;
            sheet.write_boolean(4, 1, true)?;
            sheet.write_datetime_with_format(
                4,
                2,
                XlsxDate::from_ymd(2024, 12, 31)?.and_hms(23, 59, 30)?,
                &datetime,
            )?;
            sheet.write_number(4, 3, -42.0)?;
            sheet.write_datetime_with_format(4, 4, XlsxDate::from_hms(9, 30, 0)?, &time)?;
            // Row 6: short, with a string that looks like a number.
            sheet.write_string(5, 0, "0123")?;
            Ok(())
        });
        assert!(bytes.starts_with(ZIP_MAGIC));
        let table = read_ok(&bytes);
        assert_eq!(table.format, Format::Xlsx);
        assert_eq!(
            table.headers,
            ["医療機関コード", "氏名", "生年月日", "備考", "受付"]
        );
        assert_eq!(
            rows(&table),
            [
                (2, vec!["1312345678", "山田 太郎", "1980-04-01", "", ""]),
                (
                    5,
                    vec!["0.1", "true", "2024-12-31T23:59:30", "-42", "09:30:00"]
                ),
                (6, vec!["0123", "", "", "", ""]),
            ]
        );
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
                .set_name("users")?
                .set_active(true)
                .write_string(0, 0, "name")?
                .write_string(1, 0, "visible")?;
            Ok(())
        });
        let table = read_ok(&bytes);
        assert_eq!(table.headers, ["name"]);
        assert_eq!(rows(&table), [(2, vec!["visible"])]);
    }

    #[test]
    fn xlsx_edge_cases() {
        // Nothing but formatting: empty.
        let bytes = xlsx_of(|workbook| {
            workbook.add_worksheet();
            Ok(())
        });
        assert_eq!(read_table(&bytes), Err(TableError::Empty));
        // Data starting below row 1: no header, rows keep their numbers.
        let bytes = xlsx_of(|workbook| {
            workbook.add_worksheet().write_string(2, 1, "x")?;
            Ok(())
        });
        let table = read_ok(&bytes);
        assert!(table.headers.is_empty());
        assert_eq!(rows(&table), [(3, vec!["", "x"])]);
        // The row limit.
        let bytes = xlsx_of(|workbook| {
            let sheet = workbook.add_worksheet();
            for row in 0..4 {
                sheet.write_number(row, 0, row)?;
            }
            Ok(())
        });
        assert_eq!(
            read_table_limited(&bytes, 2),
            Err(TableError::TooManyRows { limit: 2 })
        );
        assert_eq!(read_table_limited(&bytes, 3).map(|t| t.len()), Ok(3));
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
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
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
    fn crafted_xlsx_is_read() {
        // Cells out of order, and the same cell twice (the later wins).
        let data = format!(
            r#"<row r="2">{}{}</row><row r="1">{}</row><row r="2">{}</row>"#,
            inline("B2", "b"),
            inline("A2", "first"),
            inline("A1", "h"),
            inline("A2", "a")
        );
        let table = read_ok(&crafted_xlsx(&data));
        assert_eq!(table.headers, ["h"]);
        assert_eq!(rows(&table), [(2, vec!["a", "b"])]);
    }

    #[test]
    fn regression_xlsx_cell_far_away_is_not_allocated_densely() {
        // A1 and the last cell of a sheet: a dense range would be 17 billion cells.
        let data = format!(
            r#"<row r="1">{}</row><row r="1000001">{}</row>"#,
            inline("A1", "h"),
            inline("XFD1000001", "far")
        );
        let table = read_ok(&crafted_xlsx(&data));
        assert_eq!(
            table.records().next().map(|r| (r.row, r.cells.len())),
            Some((1_000_001, 16_384))
        );
        assert_eq!(
            read_table_limited(&crafted_xlsx(&data), 10),
            Err(TableError::TooManyRows { limit: 10 })
        );
    }

    #[test]
    fn regression_xlsx_overflowing_cell_reference_is_an_error() {
        // calamine accumulates the column letters in a u32 without a bound.
        for reference in ["ZZZZZZZZZZZZ1", "A99999999999", "XFE1"] {
            let data = format!(r#"<row r="1">{}</row>"#, inline(reference, "x"));
            match read_table(&crafted_xlsx(&data)) {
                Err(TableError::Xlsx(message)) => assert!(!message.contains('x'), "{message}"),
                other => panic!("{reference}: {other:?}"),
            }
        }
    }

    #[test]
    fn xlsx_errors_do_not_quote_cells() {
        // An unknown cell type and broken XML inside a cell.
        for data in [
            r#"<row r="1"><c r="A1" t="secret-type"><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>secret &bogus; value</t></is></c></row>"#,
            r#"<row r="1"><c r="A1" t="e"><v>#SECRET!</v></c></row>"#,
        ] {
            match read_table(&crafted_xlsx(data)) {
                Err(e) => {
                    for message in [e.message_ja(), e.message_en(), format!("{e:?}")] {
                        assert!(!message.to_lowercase().contains("secret"), "{message}");
                    }
                }
                Ok(table) => {
                    // Accepted leniently: then the cell must not leak through an error either.
                    assert!(table.headers.iter().all(|h| !h.contains("secret-type")));
                }
            }
        }
    }

    #[test]
    fn broken_zip_is_an_xlsx_error() {
        let mut bytes = xlsx_of(|workbook| {
            workbook.add_worksheet().write_string(0, 0, "a")?;
            Ok(())
        });
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(read_table(&bytes), Err(TableError::Xlsx(_))));
        assert!(matches!(
            read_table(b"PK\x03\x04junk"),
            Err(TableError::Xlsx(_))
        ));
    }

    // Properties

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_table(&bytes);
        }

        #[test]
        fn arbitrary_zip_like_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut file = ZIP_MAGIC.to_vec();
            file.extend(bytes);
            let _ = read_table(&file);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[a,\"\r\n \u{3000}あ]{0,64}") {
            let _ = read_table(text.as_bytes());
        }

        /// Whatever a CSV writer writes reads back cell for cell, one row per record.
        #[test]
        fn csv_round_trips(
            grid in proptest::collection::vec(
                proptest::collection::vec("[a-zA-Z0-9 ,\"\r\n\u{3000}あ髙ｱ]{0,6}", 3),
                1..8,
            ),
        ) {
            let grid: Vec<Vec<String>> = grid
                .into_iter()
                .map(|mut row| { row[0].insert(0, 'k'); row })
                .collect();
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &grid {
                writer.write_record(row).unwrap();
            }
            let bytes = writer.into_inner().unwrap();
            let table = read_table(&bytes).unwrap();
            let headers: Vec<&str> = grid[0].iter().map(|h| normalize_header(h)).collect();
            prop_assert_eq!(table.headers.iter().map(String::as_str).collect::<Vec<_>>(), headers);
            let expected: Vec<(usize, Vec<String>)> =
                grid[1..].iter().cloned().enumerate().map(|(i, row)| (i + 2, row)).collect();
            let actual: Vec<(usize, Vec<String>)> =
                table.records().map(|r| (r.row, r.cells.clone())).collect();
            prop_assert_eq!(actual, expected);
        }
    }
}
