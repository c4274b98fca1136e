//! Property tests of `commands::ingest`: whatever bytes are uploaded — arbitrary, or a
//! valid CSV, JSON Lines or XLSX file mutated or cut short — reading them to the end neither
//! panics nor aborts, every error says what it is, and row numbers only go up.
//!
//! Failing cases are kept as seeds in `tests/fuzz-regressions/proptest-seeds.txt`; the inputs
//! that once broke the reader are kept there as files, and read again by
//! `regression_inputs_are_read_without_panic`.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use commands::ingest::{Cell, Encoding, FileError, RowReader, SourceFormat, TableRows};
use ingest_fuzz_support::oracle::read_table;

mod ingest_fuzz_support {
    pub mod oracle;
}
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz-regressions");
const SEEDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fuzz-regressions/proptest-seeds.txt"
);

/// What reading a file to its end gave.
#[derive(Debug)]
struct Outcome {
    format: Option<SourceFormat>,
    /// Row numbers, of rows and row errors alike.
    rows: Vec<usize>,
    /// Cell texts.
    texts: Vec<String>,
    error: Option<FileError>,
}

/// Reads `path` to its end, checking what holds for every file.
fn read_to_end(path: &Path) -> Result<Outcome, TestCaseError> {
    let mut outcome = Outcome {
        format: None,
        rows: Vec::new(),
        texts: Vec::new(),
        error: None,
    };
    let mut reader = match RowReader::open(path) {
        Ok(reader) => reader,
        Err(error) => {
            check_file_error(&error)?;
            outcome.error = Some(error);
            return Ok(outcome);
        }
    };
    outcome.format = Some(reader.format());
    if let Some(headers) = reader.headers() {
        prop_assert!(!headers.is_empty());
        prop_assert!(headers.iter().all(|h| !h.is_empty() && h.trim() == h));
    }
    let first_row = if reader.format() == SourceFormat::JsonLines {
        1
    } else {
        2
    };
    loop {
        let row = match reader.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(error) => {
                check_file_error(&error)?;
                // The error sticks.
                prop_assert_eq!(reader.next_row(), Err(error.clone()));
                outcome.error = Some(error);
                break;
            }
        };
        let number = match row {
            Ok(row) => {
                for (name, cell) in &row.cells {
                    prop_assert!(!name.is_empty());
                    if let Cell::Text(text) = cell {
                        prop_assert!(!text.trim().is_empty());
                        outcome.texts.push(text.clone());
                    }
                }
                if let Some(headers) = reader.headers() {
                    prop_assert!(row.cells.iter().all(|(name, _)| headers.contains(name)));
                }
                row.row
            }
            Err(error) => {
                prop_assert!(!error.code.is_empty());
                prop_assert!(!error.message_ja.is_empty());
                prop_assert!(!error.message_en.is_empty());
                error.row
            }
        };
        prop_assert!(number >= first_row);
        if let Some(&last) = outcome.rows.last() {
            prop_assert!(number > last, "row {} after row {}", number, last);
        }
        outcome.rows.push(number);
    }
    // Reading past the end stays at the end.
    if outcome.error.is_none() {
        prop_assert_eq!(reader.next_row(), Ok(None));
    }
    Ok(outcome)
}

fn check_file_error(error: &FileError) -> Result<(), TestCaseError> {
    prop_assert!(!error.code().is_empty());
    prop_assert!(!error.message_ja().is_empty());
    prop_assert!(!error.message_en().is_empty());
    Ok(())
}

fn read_bytes(bytes: &[u8]) -> Result<Outcome, TestCaseError> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    read_to_end(file.path())
}

/// Text from CP932 never holds U+FFFD (it would have to be decoded with replacement); UTF-8
/// holds it only if the bytes do.
fn check_no_replacement(bytes: &[u8], outcome: &Outcome) -> Result<(), TestCaseError> {
    let written = bytes.windows(3).any(|w| w == "\u{fffd}".as_bytes());
    if !written || outcome.format == Some(SourceFormat::Csv(Encoding::ShiftJis)) {
        let replaced = outcome
            .texts
            .iter()
            .any(|t| t.contains(char::REPLACEMENT_CHARACTER));
        prop_assert!(!replaced, "a replacement character was made up");
    }
    Ok(())
}

/// One change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

/// Bytes that matter to the formats: quotes, separators, line ends, JSON punctuation, lead
/// and trail bytes of Shift_JIS and UTF-8, zip signatures.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'"'),
        Just(b','),
        Just(b'\r'),
        Just(b'\n'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b':'),
        Just(b'\\'),
        Just(b' '),
        Just(0x81),
        Just(0x5c),
        Just(0x80),
        Just(0xa0),
        Just(0xe3),
        Just(0xef),
        Just(b'P'),
        Just(b'K'),
        Just(0),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), interesting_byte()).prop_map(|(at, b)| Mutation::Set(at, b)),
        2 => (any::<usize>(), proptest::collection::vec(interesting_byte(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        2 => (any::<usize>(), 1..16usize).prop_map(|(at, n)| Mutation::Remove(at, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len();
        match mutation {
            Mutation::Set(at, b) if len > 0 => bytes[at % len] = *b,
            Mutation::Insert(at, inserted) => {
                let at = at % (len + 1);
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Remove(at, n) if len > 0 => {
                let at = at % len;
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(at) => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// A cell of a generated file: names, numbers, dates, quotes and line ends, CP932 extensions.
fn cell_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,\"\r\n\u{3000}あ髙①表ｱ{}:-]{0,8}"
}

fn grid() -> impl Strategy<Value = Vec<Vec<String>>> {
    proptest::collection::vec(proptest::collection::vec(cell_text(), 3), 1..10)
}

fn csv_of(grid: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in grid {
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn shift_jis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

fn jsonl_of(grid: &[Vec<String>]) -> String {
    let mut lines = String::new();
    for row in grid {
        let mut object = serde_json::Map::new();
        object.insert("name".into(), row[0].clone().into());
        object.insert("count".into(), row[1].len().into());
        object.insert("tags".into(), serde_json::json!([row[2], null, true]));
        lines += &serde_json::Value::Object(object).to_string();
        lines += if row[2].len() % 2 == 0 {
            "\n"
        } else {
            "\r\n\n"
        };
    }
    lines
}

/// A workbook as Excel writes one (deflated, shared strings), with dates and numbers.
fn workbook() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let sheet = workbook.add_worksheet();
        for (column, header) in ["番号", "氏名", "生年月日"].into_iter().enumerate() {
            sheet.write_string(0, column as u16, header).unwrap();
        }
        for row in 1..30u32 {
            sheet.write_number(row, 0, row).unwrap();
            sheet
                .write_string(row, 1, format!("髙橋 {row}\n一郎"))
                .unwrap();
            sheet
                .write_number_with_format(row, 2, 30_000.0 + f64::from(row), &date)
                .unwrap();
        }
        workbook.save_to_buffer().unwrap()
    })
}

/// A workbook written by hand without compression, so that mutations reach the XML.
fn stored_workbook() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut rows = String::new();
        for row in 1..12 {
            rows += &format!(
                r#"<row r="{row}"><c r="A{row}" t="s"><v>{}</v></c><c r="B{row}"><v>{row}.5</v></c><c r="C{row}" t="inlineStr"><is><t>x{row}</t></is></c></row>"#,
                row % 3
            );
        }
        let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>head</t></si><si><t>山田</t></si><si><r><t>rich</t></r></si></sst>"#;
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C11"/><sheetData>{rows}</sheetData></worksheet>"#
        );
        zip_of(&[
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/sharedStrings.xml", shared),
            ("xl/worksheets/sheet1.xml", &sheet),
        ])
    })
}

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// `cases` keeps the whole file under half a minute in a debug build on two cores;
/// `PROPTEST_CASES` overrides it for a longer hunt.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(SEEDS))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let outcome = read_bytes(&bytes)?;
        check_no_replacement(&bytes, &outcome)?;
    }

    #[test]
    fn arbitrary_text(text in "[a,\"\r\n \t\u{3000}{}\\[\\]:あ\u{feff}]{0,64}") {
        read_bytes(text.as_bytes())?;
    }

    #[test]
    fn mutated_utf8_csv(
        grid in grid(),
        bom in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(csv_of(&grid).as_bytes());
        let bytes = mutate(bytes, &mutations);
        let outcome = read_bytes(&bytes)?;
        check_no_replacement(&bytes, &outcome)?;
    }

    #[test]
    fn mutated_shift_jis_csv(
        grid in grid(),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let bytes = mutate(shift_jis(&csv_of(&grid)), &mutations);
        let outcome = read_bytes(&bytes)?;
        check_no_replacement(&bytes, &outcome)?;
    }

    #[test]
    fn mutated_json_lines(
        grid in grid(),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let bytes = mutate(jsonl_of(&grid).into_bytes(), &mutations);
        let outcome = read_bytes(&bytes)?;
        check_no_replacement(&bytes, &outcome)?;
    }

    /// What a CSV writer writes reads back cell for cell, in UTF-8 and in Shift_JIS, with the
    /// rows numbered as Excel shows them.
    #[test]
    fn csv_round_trips(grid in grid(), sjis in any::<bool>()) {
        let mut grid = grid;
        // Distinct, non-empty headers.
        for (j, header) in grid[0].iter_mut().enumerate() {
            *header = format!("c{j}{header}");
        }
        let text = csv_of(&grid);
        let bytes = if sjis { shift_jis(&text) } else { text.into_bytes() };
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        let mut reader = RowReader::open(file.path()).unwrap();
        let headers: Vec<String> = grid[0].iter().map(|h| h.trim().to_owned()).collect();
        prop_assert_eq!(reader.headers().unwrap(), &headers[..]);
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            let row = row.unwrap();
            let cells: Vec<(String, String)> = row
                .cells
                .into_iter()
                .map(|(name, cell)| (name, cell.as_text().unwrap().to_owned()))
                .collect();
            rows.push((row.row, cells));
        }
        let expected: Vec<(usize, Vec<(String, String)>)> = grid[1..]
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let cells = headers
                    .iter()
                    .zip(row)
                    .filter(|(_, text)| !text.trim().is_empty())
                    .map(|(name, text)| (name.clone(), text.clone()))
                    .collect::<Vec<_>>();
                (i + 2, cells)
            })
            .filter(|(_, cells)| !cells.is_empty())
            .collect();
        prop_assert_eq!(rows, expected);
    }
}

/// Reads `bytes` with `RowReader` (from a file, row 1 the header), with `TableRows` (from
/// memory, cells by position) and with the reference reader, which reads a file whole by the
/// same rules: they must agree on the encoding, the errors, the row numbers and the cells.
fn check_against_read_table(bytes: &[u8]) -> Result<(), TestCaseError> {
    let first = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b" \t\r\n".contains(b));
    if first == Some(&b'{') || bytes.starts_with(b"PK\x03\x04") {
        // JSON Lines and XLSX: not what the whole-file reader compares with.
        return Ok(());
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let opened = RowReader::open(file.path());
    let in_memory = TableRows::from_memory(bytes.to_vec());
    let table = match read_table(bytes) {
        Err(error) => {
            prop_assert_eq!(opened.err(), Some(FileError::Table(error.clone())));
            prop_assert_eq!(in_memory.err(), Some(FileError::Table(error)));
            return Ok(());
        }
        Ok(table) => table,
    };
    // By position: every non-empty row, row 1 included.
    let mut in_memory = in_memory.unwrap();
    prop_assert_eq!(in_memory.format(), SourceFormat::Csv(table.encoding));
    let mut expected: Vec<(usize, Vec<(usize, String)>)> = vec![];
    let header_cells: Vec<(usize, String)> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| (i, h.clone()))
        .collect();
    if !header_cells.is_empty() {
        expected.push((1, header_cells));
    }
    for record in &table.records {
        let cells = record
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.trim().is_empty())
            .map(|(i, c)| (i, c.clone()))
            .collect();
        expected.push((record.row, cells));
    }
    let mut positional = vec![];
    while let Some(row) = in_memory.next_row().unwrap() {
        let mut cells = row.cells.unwrap();
        if row.row == 1 {
            // Row 1 of the reference is trimmed.
            for (_, text) in &mut cells {
                *text = text
                    .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .to_owned();
            }
            cells.retain(|(_, text)| !text.is_empty());
            if cells.is_empty() {
                continue;
            }
        }
        positional.push((row.row, cells));
    }
    prop_assert_eq!(positional, expected);
    let mut headers = table.headers.clone();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    // The first problem in column order: an empty header cell, or one repeating an earlier one.
    let expected_error = if headers.is_empty() {
        Some(FileError::MissingHeader)
    } else {
        (0..headers.len()).find_map(|column| {
            if headers[column].is_empty() {
                return Some(FileError::EmptyHeader { column });
            }
            let first = headers[..column]
                .iter()
                .position(|h| h.eq_ignore_ascii_case(&headers[column]))?;
            Some(FileError::DuplicatedHeader { column, first })
        })
    };
    let mut reader = match opened {
        Err(error) => {
            prop_assert_eq!(Some(error), expected_error);
            return Ok(());
        }
        Ok(reader) => {
            prop_assert_eq!(expected_error, None);
            reader
        }
    };
    prop_assert_eq!(reader.format(), SourceFormat::Csv(table.encoding));
    prop_assert_eq!(reader.headers().unwrap(), &headers[..]);
    for record in &table.records {
        let row = reader.next_row().unwrap().unwrap();
        let beyond = record
            .cells
            .iter()
            .skip(headers.len())
            .position(|c| !c.trim().is_empty());
        match beyond {
            Some(i) => {
                let error = row.unwrap_err();
                prop_assert_eq!((error.row, error.code), (record.row, "extra_cell"));
                let column = format!("column {}", column_name(headers.len() + i));
                prop_assert!(error.message_en.contains(&column), "{}", error.message_en);
            }
            None => {
                let row = row.unwrap();
                prop_assert_eq!(row.row, record.row);
                let expected: Vec<(String, Cell)> = headers
                    .iter()
                    .zip(&record.cells)
                    .filter(|(_, text)| !text.trim().is_empty())
                    .map(|(name, text)| (name.clone(), Cell::Text(text.clone())))
                    .collect();
                prop_assert_eq!(row.cells, expected);
            }
        }
    }
    prop_assert_eq!(reader.next_row(), Ok(None));
    Ok(())
}

fn column_name(column: usize) -> String {
    let mut name = String::new();
    let mut n = column + 1;
    while n > 0 {
        name.insert(0, char::from(b'A' + ((n - 1) % 26) as u8));
        n = (n - 1) / 26;
    }
    name
}

/// A first data row that puts the next bytes `before_boundary` bytes before the end of the
/// reader's first 64 KiB chunk, so that what follows straddles it.
fn filler(header: &[u8], before_boundary: usize) -> Vec<u8> {
    let mut bytes = header.to_vec();
    let target = 64 * 1024 - before_boundary;
    // Cells well under the 64 KiB limit.
    while bytes.len() + 2 < target {
        let cell = (target - bytes.len() - 2).min(8_000);
        bytes.extend(std::iter::repeat_n(b'f', cell));
        bytes.push(b',');
    }
    bytes.truncate(target - 1);
    bytes.push(b'\n');
    bytes
}

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn agrees_with_read_table(
        grid in grid(),
        sjis in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let text = csv_of(&grid);
        let bytes = if sjis { shift_jis(&text) } else { text.into_bytes() };
        check_against_read_table(&mutate(bytes, &mutations))?;
    }

    #[test]
    fn arbitrary_text_agrees_with_read_table(
        text in "[a,\"\r\n \t\u{3000}\u{feff}\u{85}あ髙]{0,48}",
    ) {
        check_against_read_table(text.as_bytes())?;
    }
}

proptest! {
    // 64 KiB files read twice over: fewer cases.
    #![proptest_config(config(300))]

    #[test]
    fn agrees_with_read_table_across_chunks(
        grid in grid(),
        sjis in any::<bool>(),
        before_boundary in 0..48usize,
        mutations in proptest::collection::vec(mutation(), 0..3),
    ) {
        let text = csv_of(&grid);
        let body = if sjis { shift_jis(&text) } else { text.into_bytes() };
        let header = if sjis { shift_jis("番号,氏名,備考\r\n") } else { "番号,氏名,備考\r\n".as_bytes().to_vec() };
        let mut bytes = filler(&header, before_boundary);
        bytes.extend(mutate(body, &mutations));
        check_against_read_table(&bytes)?;
    }
}

proptest! {
    // A workbook costs a thread and a zip archive: fewer cases.
    #![proptest_config(config(800))]

    #[test]
    fn mutated_xlsx(mutations in proptest::collection::vec(mutation(), 1..4)) {
        read_bytes(&mutate(workbook().to_vec(), &mutations))?;
    }

    #[test]
    fn mutated_stored_xlsx(mutations in proptest::collection::vec(mutation(), 1..6)) {
        read_bytes(&mutate(stored_workbook().to_vec(), &mutations))?;
    }

    #[test]
    fn truncated_xlsx(at in any::<usize>(), stored in any::<bool>()) {
        let bytes = if stored { stored_workbook() } else { workbook() };
        // Cut after the zip signature (a lone "P" is a fine CSV file).
        let outcome = read_bytes(&bytes[..4 + at % (bytes.len() - 4)])?;
        // Without its central directory, at its end, a zip archive cannot be opened.
        prop_assert!(outcome.error.is_some());
    }
}

#[test]
fn the_workbooks_mutated_here_read_whole() {
    for bytes in [workbook(), stored_workbook()] {
        let outcome = read_bytes(bytes).unwrap();
        assert_eq!(outcome.format, Some(SourceFormat::Xlsx));
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert!(outcome.rows.len() >= 10);
    }
}

/// Every input kept under `tests/fuzz-regressions/` (all but the proptest seeds) reads to its
/// end without a panic or an abort.
#[test]
fn regression_inputs_are_read_without_panic() {
    let mut read = 0;
    for entry in std::fs::read_dir(REGRESSIONS).unwrap() {
        let path = entry.unwrap().path();
        if path == Path::new(SEEDS) || !path.is_file() {
            continue;
        }
        if let Err(e) = read_to_end(&path) {
            panic!("{}: {e}", path.display());
        }
        read += 1;
    }
    assert!(read > 0);
}

/// The regression inputs, written by `write_regression_inputs` below.
fn regression_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let sheet = |rows: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
        )
    };
    let header = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>"#;
    let workbook_with = |shared: &str, rows: &str| {
        zip_of(&[
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/sharedStrings.xml", shared),
            ("xl/worksheets/sheet1.xml", &sheet(rows)),
        ])
    };
    vec![
        // Found by comparing with the whole-file reader: csv-core dropped a byte order mark
        // after an empty line, and took a stray one alone in row 1 for a header.
        ("csv-bom-after-empty-line.csv", b"\n\xEF\xBB\xBF".to_vec()),
        ("csv-header-of-a-bom.csv", b"\t\xEF\xBB\xBF".to_vec()),
        // A C1 control (0x80) before bytes that are not Shift_JIS: undetectable, not "not a
        // table".
        (
            "csv-c1-then-invalid-shift-jis.csv",
            b"a,b\n\x80,\x81 \n".to_vec(),
        ),
        // calamine reserved 10^12 strings on the word of uniqueCount: the allocation failed
        // and aborted the process.
        (
            "xlsx-unique-count-abort.xlsx",
            workbook_with(
                r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="999999999999"><si><t>h</t></si></sst>"#,
                r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            ),
        ),
        // The same claim hidden behind a decoy in a comment, with spaces around the equals.
        (
            "xlsx-unique-count-decoy.xlsx",
            workbook_with(
                r#"<!-- <sst uniqueCount="1"> --><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" x:uniqueCount = '99999999999999999999999'><x:si><x:t>h</x:t></x:si></x:sst>"#,
                r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            ),
        ),
        // calamine overflows a u32 on these cell and row references: a panic in a debug
        // build, caught on the reader's thread.
        (
            "xlsx-column-overflow.xlsx",
            workbook_with(
                "<sst/>",
                &format!(
                    r#"{header}<row r="2"><c r="ZZZZZZZZZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>"#
                ),
            ),
        ),
        (
            "xlsx-row-overflow.xlsx",
            workbook_with(
                "<sst/>",
                &format!(
                    r#"{header}<row r="99999999999"><c t="inlineStr"><is><t>x</t></is></c></row>"#
                ),
            ),
        ),
        // The last row calamine can number, then one more row without a reference.
        (
            "xlsx-row-index-wraps.xlsx",
            workbook_with(
                "<sst/>",
                &format!(
                    r#"{header}<row r="4294967295"><c t="inlineStr"><is><t>x</t></is></c></row><row><c t="inlineStr"><is><t>y</t></is></c></row>"#
                ),
            ),
        ),
        // Rows going back up: they cannot be streamed.
        (
            "xlsx-rows-out-of-order.xlsx",
            workbook_with(
                "<sst/>",
                &format!(
                    r#"{header}<row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>y</t></is></c></row>"#
                ),
            ),
        ),
        // A shared string index past the table.
        (
            "xlsx-shared-string-index-past-the-table.xlsx",
            workbook_with(
                r#"<sst uniqueCount="1"><si><t>h</t></si></sst>"#,
                r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>4294967295</v></c></row>"#,
            ),
        ),
    ]
}

/// Writes the crafted regression inputs; run with `--ignored` after changing them.
#[test]
#[ignore]
fn write_regression_inputs() {
    for (name, bytes) in regression_inputs() {
        std::fs::write(Path::new(REGRESSIONS).join(name), bytes).unwrap();
    }
}

/// The regression inputs fail cleanly, with the error a user can act on.
#[test]
fn regression_inputs_fail_cleanly() {
    for (name, bytes) in regression_inputs() {
        let stored = std::fs::read(Path::new(REGRESSIONS).join(name)).unwrap_or_default();
        assert_eq!(stored, bytes, "{name}: run write_regression_inputs");
        let outcome = read_bytes(&bytes).unwrap();
        let code = outcome.error.as_ref().map(FileError::code);
        let expected = match name {
            "csv-bom-after-empty-line.csv" => "missing_header",
            "csv-header-of-a-bom.csv" => "empty_file",
            "csv-c1-then-invalid-shift-jis.csv" => "undetectable_encoding",
            "xlsx-row-index-wraps.xlsx" => "too_many_rows",
            // calamine's u32 overflows panic in a debug build and wrap in a release build,
            // where the wrapped references land anywhere.
            "xlsx-column-overflow.xlsx" | "xlsx-row-overflow.xlsx" if cfg!(debug_assertions) => {
                "unreadable_xlsx"
            }
            "xlsx-column-overflow.xlsx" | "xlsx-row-overflow.xlsx" => continue,
            _ => "unreadable_xlsx",
        };
        assert_eq!(code, Some(expected), "{name}");
    }
}
