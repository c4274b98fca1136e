//! Every example file under `examples/` read through `commands::ingest`, the one reader of
//! uploads: each format is detected from its content, and the same rows come out of every format
//! of one example — cell for cell in the three CSV encodings, row for row and column for column
//! in the workbook (whose numbers and dates are cells of their own type). Their headers are ids
//! in some files and Japanese names in others: the values are compared.

use std::path::{Path, PathBuf};

use commands::accounts::USER_FILE_COLUMNS;
use commands::ingest::header::find_header;
use commands::ingest::{Encoding, RowReader, SourceFormat, TableRows};

fn examples(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(dir)
}

/// The format a file's name promises (the reader never looks at it).
fn format_of(name: &str) -> SourceFormat {
    match name
        .rsplit_once('.')
        .map(|(stem, ext)| (stem.rsplit('.').next(), ext))
    {
        Some((Some("utf8"), "csv")) => SourceFormat::Csv(Encoding::Utf8),
        Some((Some("utf8-bom"), "csv")) => SourceFormat::Csv(Encoding::Utf8Bom),
        Some((Some("sjis"), "csv")) => SourceFormat::Csv(Encoding::ShiftJis),
        Some((_, "xlsx")) => SourceFormat::Xlsx,
        Some((_, "jsonl")) => SourceFormat::JsonLines,
        _ => panic!("{name}: no format"),
    }
}

fn files(dir: &Path) -> Vec<(String, SourceFormat)> {
    let mut names: Vec<(String, SourceFormat)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .map(|name| {
            let format = format_of(&name);
            (name, format)
        })
        .collect();
    // The CSV files first: the others are compared with them.
    names.sort_by_key(|(name, format)| (!matches!(format, SourceFormat::Csv(_)), name.clone()));
    names
}

type Rows = Vec<(usize, Vec<String>)>;

#[test]
fn bulk_import_examples_read_alike_in_every_format() {
    for import in ["hospital", "contractor", "certification", "paper"] {
        let dir = examples(&format!("imports/{import}"));
        let mut csv: Option<Rows> = None;
        for (name, format) in files(&dir) {
            let mut reader = RowReader::open(&dir.join(&name)).expect(&name);
            assert_eq!(reader.format(), format, "{name}");
            let mut rows: Rows = vec![];
            while let Some(row) = reader.next_row().expect(&name) {
                let row = row.unwrap_or_else(|e| panic!("{name}: {e}"));
                let cells = row
                    .cells
                    .iter()
                    // Headers are ids in some files, Japanese names in others.
                    .map(|(_, cell)| match cell {
                        commands::ingest::Cell::Text(t) => t.clone(),
                        commands::ingest::Cell::Json(v) => v.to_string(),
                    })
                    .collect();
                rows.push((row.row, cells));
            }
            assert!(!rows.is_empty(), "{name}");
            match format {
                SourceFormat::Csv(_) => match &csv {
                    None => csv = Some(rows),
                    Some(first) => assert_eq!(&rows, first, "{name}: as the other CSV files"),
                },
                SourceFormat::Xlsx => {
                    let first = csv.as_ref().expect("CSV files sort first");
                    let shape = |rows: &Rows| -> Vec<(usize, usize)> {
                        rows.iter()
                            .map(|(row, cells)| (*row, cells.len()))
                            .collect()
                    };
                    assert_eq!(shape(&rows), shape(first), "{name}: as the CSV files");
                }
                SourceFormat::JsonLines => {
                    let first = csv.as_ref().expect("CSV files sort first");
                    assert_eq!(rows.len(), first.len(), "{name}: one line per CSV row");
                }
            }
        }
    }
}

#[test]
fn user_data_file_examples_read_alike_in_every_format() {
    let dir = examples("user-data-file");
    type ByPosition = Vec<(usize, Vec<(usize, String)>)>;
    let mut csv: Option<ByPosition> = None;
    for (name, format) in files(&dir) {
        let bytes = std::fs::read(dir.join(&name)).expect(&name);
        let mut rows = TableRows::from_memory(bytes).expect(&name);
        assert_eq!(rows.format(), format, "{name}");
        let columns = find_header(&mut rows, USER_FILE_COLUMNS)
            .expect(&name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(columns.header_row, 1, "{name}");
        let mut data = vec![];
        while let Some(row) = rows.next_row().expect(&name) {
            let cells = row.cells.unwrap_or_else(|e| panic!("{name}: {e}"));
            data.push((row.row, cells));
        }
        let numbers: Vec<usize> = data.iter().map(|(row, _)| *row).collect();
        assert_eq!(numbers, [2, 3, 4, 5], "{name}");
        match &csv {
            None => csv = Some(data),
            Some(first) if format != SourceFormat::Xlsx => {
                assert_eq!(&data, first, "{name}: as the other CSV files")
            }
            Some(first) => {
                for ((_, cells), (_, expected)) in data.iter().zip(first) {
                    let columns: Vec<usize> = cells.iter().map(|c| c.0).collect();
                    let expected: Vec<usize> = expected.iter().map(|c| c.0).collect();
                    assert_eq!(columns, expected, "{name}");
                }
            }
        }
    }
}
