//! The one normaliser of what people type into the cells of an uploaded file, for the user data
//! file and every bulk import alike: codes and numbers (NFKC, so that the full-width digits of a
//! hand-written Excel sheet — １３１２３４５６７９ — read as ASCII), dates and year-months as
//! Japanese offices write them, yes/no answers, and kana readings (half-width katakana made
//! full-width). Names in kanji are never normalised: NFKC would replace some 異体字.

/// A code or number as typed, made ASCII: NFKC (full-width digits, letters, `／` and `．`), the
/// dashes Japanese input methods produce (`ー`, `‐`, `−`, `–`, `—`) as `-`, trimmed.
pub fn code(text: &str) -> String {
    domain::text::normalize_code(text)
        .chars()
        .map(|c| match c {
            'ー' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
            _ => c,
        })
        .collect()
}

/// A date `YYYY-MM-DD`, also written with slashes, without zero padding or in full-width
/// digits (`２０２４／４／１`); `None` when it is not a calendar date.
pub fn date(text: &str) -> Option<String> {
    let text = code(text).replace('/', "-");
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(y, 4..=4) || !digits(m, 1..=2) || !digits(d, 1..=2) {
        return None;
    }
    let s = format!("{y}-{m:0>2}-{d:0>2}");
    domain::judgment::valid_date(&s).then_some(s)
}

/// A year and month `YYYY-MM`, also with a slash or without zero padding.
pub fn year_month(text: &str) -> Option<String> {
    let text = code(text).replace('/', "-");
    let (y, m) = text.split_once('-')?;
    if !digits(y, 4..=4) || !digits(m, 1..=2) {
        return None;
    }
    let s = format!("{y}-{m:0>2}");
    domain::judgment::valid_year_month(&s).then_some(s)
}

fn digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// An integer, in ASCII or full-width digits.
pub fn integer(text: &str) -> Option<i64> {
    code(text).parse().ok()
}

/// A finite decimal number, in ASCII or full-width digits.
pub fn decimal(text: &str) -> Option<f64> {
    code(text).parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A yes / no answer: `true`/`false`, `1`/`0`, `yes`/`no`, `はい`/`いいえ`, `有`/`無`, `あり`/`なし`,
/// `○`/`×`.
pub fn boolean(text: &str) -> Option<bool> {
    match code(text).to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "はい" | "有" | "あり" | "○" | "〇" => Some(true),
        "false" | "0" | "no" | "n" | "いいえ" | "無" | "なし" | "×" => Some(false),
        _ => None,
    }
}

/// A kana reading: half-width katakana to full-width (ｶﾞ → ガ), spaces collapsed, trimmed.
pub fn kana(text: &str) -> String {
    domain::text::normalize_kana(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_numbers_in_full_width_read_as_ascii() {
        assert_eq!(code("１３１２３４５６７９"), "1312345679");
        assert_eq!(
            code(" ０１－２０２４ー０００１０１\u{3000}"),
            "01-2024-000101"
        );
        assert_eq!(code("ＡＢ１２"), "AB12");
        assert_eq!(integer("４２"), Some(42));
        assert_eq!(integer("-7"), Some(-7));
        assert_eq!(integer("4.2"), None);
        assert_eq!(decimal("３．５"), Some(3.5));
        assert_eq!(decimal("NaN"), None);
    }

    #[test]
    fn dates_as_offices_and_hospital_systems_write_them() {
        for (text, date_) in [
            ("2024-04-01", Some("2024-04-01")),
            ("2024/04/01", Some("2024-04-01")),
            ("2024/4/1", Some("2024-04-01")),
            ("２０２４／０４／０１", Some("2024-04-01")),
            ("２０２４－４－１", Some("2024-04-01")),
            (" 2024-04-01 ", Some("2024-04-01")),
            ("2024-02-29", Some("2024-02-29")),
            ("2023-02-29", None),
            ("2024-02-30", None),
            ("24-04-01", None),
            ("2024-04-01-01", None),
            ("2024-004-01", None),
            ("2024-+4-01", None),
            ("2024-04", None),
            ("", None),
        ] {
            assert_eq!(date(text).as_deref(), date_, "{text:?}");
        }
        assert_eq!(year_month("2019/6").as_deref(), Some("2019-06"));
        assert_eq!(year_month("２０１９－０６").as_deref(), Some("2019-06"));
        assert_eq!(year_month("2019-13"), None);
        assert_eq!(year_month("19-06"), None);
    }

    #[test]
    fn yes_and_no() {
        for (text, value) in [
            ("true", Some(true)),
            ("ＴＲＵＥ", Some(true)),
            ("１", Some(true)),
            ("はい", Some(true)),
            ("有", Some(true)),
            ("0", Some(false)),
            ("いいえ", Some(false)),
            ("maybe", None),
        ] {
            assert_eq!(boolean(text), value, "{text}");
        }
    }

    #[test]
    fn kana_readings_are_made_full_width() {
        assert_eq!(kana(" ﾔﾏﾀﾞ\u{3000}\u{3000}ﾀﾛｳ "), "ヤマダ タロウ");
    }
}
