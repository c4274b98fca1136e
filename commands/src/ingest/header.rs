//! The header row of a tabular file: found among the first rows (real files carry a title and
//! notes above it), matched to the columns a use expects, and reported when it does not match —
//! by column position, with at most a short excerpt of a header cell that cannot be a person's
//! data ([`excerpt`]). A file whose header row was left out must not have its first doctor or
//! patient echoed back.

use serde::Serialize;

use super::reader::{column_name, TableRows};
use super::{normalize_header, FileError, TableError};

/// How many rows from the top of a file are searched for its header row.
pub const HEADER_SEARCH_ROWS: usize = 10;

/// At most this many header cells are listed in an error.
pub const LISTED_HEADERS: usize = 10;

/// An excerpt of a header cell is cut to this many characters.
pub const EXCERPT_CHARS: usize = 40;

/// A column a use expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name the code uses for it.
    pub id: &'static str,
    /// The header texts accepted for it, e.g. `["institution_code", "医療機関コード"]`; the
    /// first is shown to users first.
    pub names: &'static [&'static str],
    pub required: bool,
}

impl Column {
    /// Whether the (normalised) header cell names this column: one of its names, ASCII letters
    /// compared without case.
    fn accepts(&self, header: &str) -> bool {
        self.names
            .iter()
            .any(|name| normalize_header(name).eq_ignore_ascii_case(header))
    }
}

/// Where each expected column is in the file, and which row was its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// The row the header was found in (1-based, as Excel numbers it).
    pub header_row: usize,
    columns: Vec<(&'static str, usize)>,
}

impl ColumnMap {
    /// The trimmed cell of column `id` among a row's cells (by position, as [`TableRows`] gives
    /// them); `None` when it is empty or blank, or the column is not in the file.
    pub fn get<'r>(&self, cells: &'r [(usize, String)], id: &str) -> Option<&'r str> {
        let index = self.index(id)?;
        let (_, cell) = cells.iter().find(|(column, _)| *column == index)?;
        let cell = cell.trim();
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

/// A header cell named in an error: its column as Excel names it (`D`), and an excerpt of its
/// text only when [`excerpt`] allows one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderCell {
    pub column: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl HeaderCell {
    /// The header cell of 0-based `column`.
    pub fn at(column: usize, text: &str) -> HeaderCell {
        HeaderCell {
            column: column_name(column),
            excerpt: excerpt(text),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (&self.excerpt, lang) {
            (Some(text), Lang::Ja) => format!("{}列「{text}」", self.column),
            (Some(text), Lang::En) => format!("column {} \"{text}\"", self.column),
            (None, Lang::Ja) => format!("{}列", self.column),
            (None, Lang::En) => format!("column {}", self.column),
        }
    }
}

/// The text of a header cell that may be repeated in an error: trimmed, cut to
/// [`EXCERPT_CHARS`] characters (with `…`), and only when it cannot be a person's data — no
/// digit of any script (a date, a number, a code), no `@`, no space inside (a name is written
/// with one between family and given name), no control or formatting character. Otherwise
/// `None`: the error names the column position alone.
pub fn excerpt(text: &str) -> Option<String> {
    let text = normalize_header(text);
    let personal = text
        .chars()
        .any(|c| c.is_numeric() || c.is_whitespace() || c.is_control() || c == '@' || c == '＠')
        || domain::text::check_line(text, usize::MAX).is_err();
    if text.is_empty() || personal {
        return None;
    }
    let mut chars = text.chars();
    let mut cut: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        cut.push('…');
    }
    Some(cut)
}

/// The header row does not match the expected columns, or none was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub struct HeaderError {
    /// The row taken for the header: the first of the top [`HEADER_SEARCH_ROWS`] rows with a
    /// cell naming an expected column. `None`: there is no such row.
    pub row: Option<usize>,
    /// The ids of the required columns no header cell names.
    pub missing: Vec<&'static str>,
    /// Header cells that name no expected column (at most [`LISTED_HEADERS`]).
    pub unknown: Vec<HeaderCell>,
    pub unknown_count: usize,
    /// Header cells naming a column that an earlier cell names already (at most
    /// [`LISTED_HEADERS`]).
    pub duplicated: Vec<HeaderCell>,
    pub duplicated_count: usize,
    missing_names: Vec<&'static [&'static str]>,
}

impl HeaderError {
    /// The details of the error, for an answer: positions and excerpts only.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "header_row": self.row,
            "missing": self.missing,
            "unknown": self.unknown,
            "unknown_count": self.unknown_count,
            "duplicated": self.duplicated,
            "duplicated_count": self.duplicated_count,
        })
    }

    pub fn message_ja(&self) -> String {
        let expected = join_names(&self.missing_names, Lang::Ja);
        let Some(row) = self.row else {
            return format!(
                "見出し行が見つかりません。{HEADER_SEARCH_ROWS}行目までに列名（{expected}）の行を入れてください。"
            );
        };
        let mut message = format!("{row}行目の見出しが正しくありません。");
        if !self.missing.is_empty() {
            message += &format!("必須の列がありません：{expected}。");
        }
        if self.unknown_count > 0 {
            let unknown = list(&self.unknown, self.unknown_count, Lang::Ja);
            message += &format!("不明な列があります：{unknown}。");
        }
        if self.duplicated_count > 0 {
            let duplicated = list(&self.duplicated, self.duplicated_count, Lang::Ja);
            message += &format!("同じ列が重複しています：{duplicated}。");
        }
        message
    }

    pub fn message_en(&self) -> String {
        let expected = join_names(&self.missing_names, Lang::En);
        let Some(row) = self.row else {
            return format!(
                "No header row found: put the column names ({expected}) in one of the first \
                 {HEADER_SEARCH_ROWS} rows."
            );
        };
        let mut message = format!("The header row (row {row}) is not as expected.");
        if !self.missing.is_empty() {
            message += &format!(" Missing required columns: {expected}.");
        }
        if self.unknown_count > 0 {
            let unknown = list(&self.unknown, self.unknown_count, Lang::En);
            message += &format!(" Unknown columns: {unknown}.");
        }
        if self.duplicated_count > 0 {
            let duplicated = list(&self.duplicated, self.duplicated_count, Lang::En);
            message += &format!(" Columns given more than once: {duplicated}.");
        }
        message
    }
}

/// Reads `rows` up to the header row — the first of the top [`HEADER_SEARCH_ROWS`] rows with a
/// cell naming an expected column (the rows above it are a title and notes) — and maps its
/// cells to `expected`. The data rows follow in `rows`.
///
/// `Ok(Err(…))` when no row qualifies or the header does not match: missing required columns,
/// cells naming no column and columns named twice are reported in one error, so that the user
/// fixes the header in one go. A file without a non-empty row is [`TableError::Empty`].
pub fn find_header(
    rows: &mut TableRows,
    expected: &[Column],
) -> Result<Result<ColumnMap, Box<HeaderError>>, FileError> {
    let mut any = false;
    while let Some(row) = rows.next_row()? {
        any = true;
        if row.row > HEADER_SEARCH_ROWS {
            break;
        }
        // A row that cannot be read (too long, too many cells) is no header.
        let Ok(cells) = row.cells else { continue };
        let names_a_column = cells.iter().any(|(_, text)| {
            let header = normalize_header(text);
            expected.iter().any(|c| c.accepts(header))
        });
        if names_a_column {
            return Ok(match_header(row.row, &cells, expected));
        }
    }
    if !any {
        return Err(TableError::Empty.into());
    }
    let missing: Vec<&Column> = expected.iter().filter(|c| c.required).collect();
    Ok(Err(Box::new(HeaderError {
        row: None,
        missing: missing.iter().map(|c| c.id).collect(),
        unknown: vec![],
        unknown_count: 0,
        duplicated: vec![],
        duplicated_count: 0,
        missing_names: missing.iter().map(|c| c.names).collect(),
    })))
}

/// Maps the cells of header row `row` to the expected columns.
fn match_header(
    row: usize,
    cells: &[(usize, String)],
    expected: &[Column],
) -> Result<ColumnMap, Box<HeaderError>> {
    let mut found: Vec<(&'static str, usize)> = Vec::new();
    let (mut unknown, mut unknown_count) = (Vec::new(), 0);
    let (mut duplicated, mut duplicated_count) = (Vec::new(), 0);
    for (column, text) in cells {
        let header = normalize_header(text);
        if header.is_empty() {
            continue;
        }
        let Some(expected) = expected.iter().find(|c| c.accepts(header)) else {
            unknown_count += 1;
            if unknown.len() < LISTED_HEADERS {
                unknown.push(HeaderCell::at(*column, header));
            }
            continue;
        };
        if found.iter().any(|(id, _)| *id == expected.id) {
            duplicated_count += 1;
            if duplicated.len() < LISTED_HEADERS {
                duplicated.push(HeaderCell::at(*column, header));
            }
        } else {
            found.push((expected.id, *column));
        }
    }
    let missing_columns: Vec<&Column> = expected
        .iter()
        .filter(|c| c.required && !found.iter().any(|(id, _)| *id == c.id))
        .collect();
    if missing_columns.is_empty() && unknown_count == 0 && duplicated_count == 0 {
        return Ok(ColumnMap {
            header_row: row,
            columns: found,
        });
    }
    Err(Box::new(HeaderError {
        row: Some(row),
        missing: missing_columns.iter().map(|c| c.id).collect(),
        unknown,
        unknown_count,
        duplicated,
        duplicated_count,
        missing_names: missing_columns.iter().map(|c| c.names).collect(),
    }))
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

/// Header cells as a message lists them (`D列「種別」、E列、他3件` and `column D "種別",
/// column E, 3 more`), with the count of those left out: Japanese, then English.
pub fn list_cells(cells: &[HeaderCell], count: usize) -> (String, String) {
    (list(cells, count, Lang::Ja), list(cells, count, Lang::En))
}

/// Header cells as a message lists them, with the count of those left out.
fn list(cells: &[HeaderCell], count: usize, lang: Lang) -> String {
    let mut listed: Vec<String> = cells.iter().map(|c| c.describe(lang)).collect();
    let more = count.saturating_sub(cells.len());
    if more > 0 {
        listed.push(match lang {
            Lang::Ja => format!("他{more}件"),
            Lang::En => format!("{more} more"),
        });
    }
    listed.join(match lang {
        Lang::Ja => "、",
        Lang::En => ", ",
    })
}

#[cfg(test)]
mod tests {
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

    fn find(text: &str) -> Result<Result<ColumnMap, Box<HeaderError>>, FileError> {
        let mut rows = TableRows::from_memory(text.as_bytes().to_vec())?;
        find_header(&mut rows, COLUMNS)
    }

    #[test]
    fn the_header_may_follow_a_title_and_notes() {
        let text = "医療機関ユーザデータファイル（東京都）\n\n※ 氏名は通知書に印字されます\n\
                    氏名,医療機関コード\n山田 太郎,1312345679\n";
        let mut rows = TableRows::from_memory(text.as_bytes().to_vec()).unwrap();
        let map = find_header(&mut rows, COLUMNS).unwrap().unwrap();
        assert_eq!(map.header_row, 4);
        let data = rows.next_row().unwrap().unwrap();
        assert_eq!(data.row, 5);
        let cells = data.cells.unwrap();
        assert_eq!(map.get(&cells, "name"), Some("山田 太郎"));
        assert_eq!(map.get(&cells, "institution_code"), Some("1312345679"));
        assert_eq!(map.get(&cells, "note"), None);
        assert_eq!(rows.next_row().unwrap(), None);
    }

    #[test]
    fn headers_map_through_aliases_trimmed_and_ignoring_ascii_case() {
        let map = find(" 氏名 ,,INSTITUTION_Code\u{3000}\n").unwrap().unwrap();
        assert_eq!(map.header_row, 1);
        assert_eq!(map.index("institution_code"), Some(2));
        assert_eq!(map.index("name"), Some(0));
        assert_eq!(map.index("note"), None);
    }

    #[test]
    fn no_header_in_the_first_rows_quotes_nothing() {
        // The header row was left out: row 1 is a person's data and must not be echoed.
        let error = find("1312345679,山田太郎\n1312345679,佐藤花子\n")
            .unwrap()
            .unwrap_err();
        assert_eq!(error.row, None);
        assert_eq!(error.missing, ["institution_code", "name"]);
        let details = error.details().to_string();
        for message in [error.message_ja(), error.message_en(), details] {
            assert!(!message.contains("山田"), "{message}");
            assert!(!message.contains("1312345679"), "{message}");
        }
        assert!(error.message_ja().contains("医療機関コード"));
        // Below row 10, a header is not looked for.
        let late = format!("{}氏名,医療機関コード\n", "title\n".repeat(10));
        assert_eq!(find(&late).unwrap().unwrap_err().row, None);
    }

    #[test]
    fn header_problems_are_reported_together_by_position() {
        let error = find("氏名,memo,name,memo,備考,山田 太郎,1980-04-01\n")
            .unwrap()
            .unwrap_err();
        assert_eq!(error.row, Some(1));
        assert_eq!(error.missing, ["institution_code"]);
        let cells = |cells: &[HeaderCell]| -> Vec<(String, Option<String>)> {
            cells
                .iter()
                .map(|c| (c.column.clone(), c.excerpt.clone()))
                .collect()
        };
        assert_eq!(
            cells(&error.unknown),
            [
                ("B".into(), Some("memo".into())),
                ("D".into(), Some("memo".into())),
                ("F".into(), None),
                ("G".into(), None),
            ]
        );
        assert_eq!(
            cells(&error.duplicated),
            [("C".into(), Some("name".into()))]
        );
        assert_eq!(
            error.message_ja(),
            "1行目の見出しが正しくありません。必須の列がありません：institution_code／医療機関コード。\
             不明な列があります：B列「memo」、D列「memo」、F列、G列。同じ列が重複しています：C列「name」。"
        );
        assert!(!error.message_en().contains("山田"));
    }

    #[test]
    fn a_long_header_is_listed_in_part_and_cut_short() {
        let long = "長".repeat(100);
        let header: Vec<String> = (0..15).map(|_| long.clone()).collect();
        let error = find(&format!("name,{}\n", header.join(",")))
            .unwrap()
            .unwrap_err();
        assert_eq!((error.unknown.len(), error.unknown_count), (10, 15));
        let excerpt = error.unknown[0].excerpt.as_deref().unwrap();
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(excerpt.ends_with('…'));
        assert!(error.message_en().ends_with(", 5 more."));
        assert!(error.message_ja().ends_with("、他5件。"));
    }

    #[test]
    fn excerpts_are_never_shaped_like_personal_data() {
        for (text, shown) in [
            ("種別", Some("種別")),
            (" 備考欄 ", Some("備考欄")),
            ("designation", Some("designation")),
            ("札幌 一郎", None),
            ("札幌\u{3000}一郎", None),
            ("01-2024-000101", None),
            ("１３１２３４５６７９", None),
            ("2024/04/01", None),
            ("taro@example.jp", None),
            ("a\u{202e}b", None),
            ("", None),
        ] {
            assert_eq!(excerpt(text).as_deref(), shown, "{text:?}");
        }
    }

    #[test]
    fn an_empty_file_is_empty() {
        assert_eq!(find(",,\n\n").unwrap_err().code(), "empty_file");
    }
}
