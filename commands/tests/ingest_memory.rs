//! The memory a `RowReader` needs does not grow with the file: the peak of allocated bytes
//! while reading 200,000 rows is within 1.2 times the peak for 20,000 rows, in every format.
//!
//! A binary of its own, with a global allocator that counts, and a single test, so that
//! nothing else allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use commands::ingest::Encoding;
use commands::ingest::{RowReader, SourceFormat};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                Self::grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Reads `path` to its end, one row alive at a time; the rows read and the most bytes
/// allocated at once above what was allocated before opening it.
fn peak_while_reading(path: &Path, format: SourceFormat) -> (usize, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut reader = RowReader::open(path).unwrap();
    assert_eq!(reader.format(), format);
    let mut rows = 0;
    while let Some(row) = reader.next_row().unwrap() {
        let row = row.unwrap();
        assert_eq!(row.cells.len(), 4, "row {}", row.row);
        rows += 1;
    }
    drop(reader);
    (rows, PEAK.load(Ordering::Relaxed) - base)
}

fn name(i: usize) -> String {
    // Distinct names of varying length, with CP932 extension characters.
    format!("髙橋{}{i}", "①表".repeat(i % 5))
}

fn write_csv(path: &Path, rows: usize, shift_jis: bool) {
    // Encoded piece by piece: encoding_rs is slow per call in a debug build, and the digits
    // are the same bytes in both encodings.
    let encode = |text: &str| -> Vec<u8> {
        if shift_jis {
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            assert!(!unmappable);
            bytes.into_owned()
        } else {
            text.as_bytes().to_vec()
        }
    };
    let header = encode("番号,氏名,生年月日,備考\r\n");
    let surname = encode("髙橋");
    let repeated = encode("①表");
    let note = encode(",1980-04-01,\"一行目\r\n二行目");
    let mut out = BufWriter::new(File::create(path).unwrap());
    out.write_all(&header).unwrap();
    for i in 0..rows {
        // As `name(i)`, then a quoted cell over two lines, and an empty row now and then.
        write!(out, "{i},").unwrap();
        out.write_all(&surname).unwrap();
        out.write_all(&repeated.repeat(i % 5)).unwrap();
        write!(out, "{i}").unwrap();
        out.write_all(&note).unwrap();
        write!(out, "{i}\"\r\n").unwrap();
        if i % 1000 == 0 {
            out.write_all(b"\r\n").unwrap();
        }
    }
    out.flush().unwrap();
}

fn write_jsonl(path: &Path, rows: usize) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    for i in 0..rows {
        let line = serde_json::json!({
            "番号": i,
            "氏名": name(i),
            "生年月日": "1980-04-01",
            "病名": ["a", i % 7],
        });
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
}

/// A workbook with inline strings, written part by part so that the writer holds no more than
/// the reader should; not compressed, which only saves time in a debug build.
fn write_xlsx(path: &Path, rows: usize) {
    let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(path).unwrap()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let parts = [
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, content) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
    let inline = |cell: String, text: &str| {
        format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    };
    let header: String = ["番号", "氏名", "生年月日", "備考"]
        .iter()
        .zip(["A", "B", "C", "D"])
        .map(|(text, column)| inline(format!("{column}1"), text))
        .collect();
    write!(zip, r#"<row r="1">{header}</row>"#).unwrap();
    for i in 0..rows {
        let r = i + 2;
        write!(
            zip,
            r#"<row r="{r}"><c r="A{r}"><v>{i}</v></c>{}{}{}</row>"#,
            inline(format!("B{r}"), &name(i)),
            inline(format!("C{r}"), "1980-04-01"),
            inline(format!("D{r}"), "一行目\n二行目")
        )
        .unwrap();
    }
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    zip.finish().unwrap().flush().unwrap();
}

/// Writes a file of so many data rows.
type WriteFile = fn(&Path, usize);

#[test]
fn memory_does_not_grow_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, SourceFormat, WriteFile); 4] = [
        ("csv", SourceFormat::Csv(Encoding::Utf8), |p, n| {
            write_csv(p, n, false)
        }),
        ("sjis.csv", SourceFormat::Csv(Encoding::ShiftJis), |p, n| {
            write_csv(p, n, true)
        }),
        ("jsonl", SourceFormat::JsonLines, write_jsonl),
        ("xlsx", SourceFormat::Xlsx, write_xlsx),
    ];
    for (extension, format, write) in cases {
        let mut peaks = Vec::new();
        for rows in [20_000, 200_000] {
            let path = dir.path().join(format!("{rows}.{extension}"));
            write(&path, rows);
            let size = std::fs::metadata(&path).unwrap().len();
            let (read, peak) = peak_while_reading(&path, format);
            assert_eq!(read, rows);
            eprintln!("{format}: {rows} rows, {size} bytes of file, peak {peak} bytes");
            peaks.push(peak);
            std::fs::remove_file(&path).unwrap();
        }
        assert!(
            peaks[1] as f64 <= peaks[0] as f64 * 1.2,
            "{format}: peak {} bytes for 20,000 rows, {} bytes for 200,000",
            peaks[0],
            peaks[1]
        );
    }
}
