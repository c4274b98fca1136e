//! What the readers need of an XLSX workbook beyond calamine: a cell's value as the text a user
//! would type, calamine's errors without the cell text they may carry, and a check of the
//! shared strings table that keeps a crafted workbook from aborting the process.

use std::borrow::Cow;
use std::io::{Read, Seek};

use calamine::{DataRef, ExcelDateTime, XlsxError};

use super::reader::{io_error, read_some, FileError, CHUNK};
use super::TableError;

/// An XLSX file is a zip archive: its first local file header.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Excel's last serial date (9999-12-31 is 2958465): beyond it a "date" is garbage.
const MAX_EXCEL_SERIAL: f64 = 2_958_466.0;

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

/// The most bytes the shared strings table of an XLSX file may take, uncompressed. calamine
/// holds the whole table in memory, so this bounds what a workbook costs, whatever its rows;
/// it also stops a zip bomb there.
const MAX_SHARED_STRINGS_BYTES: u64 = 1 << 30;

/// Checks the shared strings tables of a zip archive before calamine reads them.
///
/// calamine reserves room for as many strings as the table's `uniqueCount` attribute claims,
/// before reading one: a 1 KB file claiming 10^12 strings makes that allocation fail, which
/// aborts the process (no panic to catch). No `<si>` element is shorter than `<si/>`, so a
/// claim above a fifth of the table's size is a lie. Anything else wrong with the archive is
/// left for calamine to report.
pub(crate) fn check_shared_strings<R: Read + Seek>(archive: &mut R) -> Result<(), FileError> {
    let checked = scan_shared_strings(&mut *archive);
    archive.rewind().map_err(io_error)?;
    checked
}

fn scan_shared_strings<R: Read + Seek>(archive: R) -> Result<(), FileError> {
    let Ok(mut zip) = zip::ZipArchive::new(archive) else {
        return Ok(());
    };
    for index in 0..zip.len() {
        let Ok(mut part) = zip.by_index(index) else {
            continue;
        };
        // calamine finds parts by name without ASCII case, with `\` read as `/`, under a
        // directory named in the package's relationships.
        let is_shared_strings = part.name().is_ok_and(|name| {
            name.replace('\\', "/")
                .to_ascii_lowercase()
                .ends_with("sharedstrings.xml")
        });
        if !is_shared_strings {
            continue;
        }
        let mut scan = UniqueCountScan::default();
        let mut buf = vec![0; CHUNK];
        let mut size: u64 = 0;
        // A read error ends the scan; calamine will meet it too, but maybe after reserving.
        while let Ok(n) = read_some(&mut part, &mut buf) {
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > MAX_SHARED_STRINGS_BYTES {
                return Err(TableError::Xlsx(
                    "the shared strings table is larger than 1 GiB".to_owned(),
                )
                .into());
            }
            buf[..n].iter().for_each(|&b| scan.push(b));
        }
        if scan.max > size / 5 {
            return Err(TableError::Xlsx(
                "the shared strings table claims more strings than it holds".to_owned(),
            )
            .into());
        }
    }
    Ok(())
}

/// Finds the largest value of a `uniqueCount` attribute in XML, byte by byte. Not an XML
/// parser: it errs on the side of finding one too many (in a comment, in a text), never one
/// too few. A value that is not a plain number counts by its digits.
#[derive(Default)]
struct UniqueCountScan {
    /// How much of the attribute name the last bytes matched.
    matched: usize,
    state: ScanState,
    max: u64,
}

#[derive(Default, Clone, Copy)]
enum ScanState {
    #[default]
    Name,
    BeforeEquals,
    BeforeQuote,
    Value {
        quote: u8,
        value: u64,
        len: usize,
    },
}

impl UniqueCountScan {
    const NAME: &'static [u8] = b"uniqueCount";

    fn push(&mut self, b: u8) {
        match self.state {
            ScanState::Name => {
                if b == Self::NAME[self.matched] {
                    self.matched += 1;
                    if self.matched == Self::NAME.len() {
                        self.matched = 0;
                        self.state = ScanState::BeforeEquals;
                    }
                } else {
                    // An attribute name starts after a space or a prefix's colon, so a match
                    // can only restart at its first letter.
                    self.matched = usize::from(b == Self::NAME[0]);
                }
            }
            ScanState::BeforeEquals | ScanState::BeforeQuote if b.is_ascii_whitespace() => {}
            ScanState::BeforeEquals if b == b'=' => self.state = ScanState::BeforeQuote,
            ScanState::BeforeQuote if b == b'"' || b == b'\'' => {
                self.state = ScanState::Value {
                    quote: b,
                    value: 0,
                    len: 0,
                }
            }
            ScanState::BeforeEquals | ScanState::BeforeQuote => {
                self.state = ScanState::Name;
                self.push(b);
            }
            ScanState::Value { quote, value, len } => {
                if b == quote || len > 64 {
                    let value = if len > 64 { u64::MAX } else { value };
                    self.max = self.max.max(value);
                    self.state = ScanState::Name;
                } else {
                    let value = if b.is_ascii_digit() {
                        value.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                    } else {
                        value
                    };
                    self.state = ScanState::Value {
                        quote,
                        value,
                        len: len + 1,
                    };
                }
            }
        }
    }
}
