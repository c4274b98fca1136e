//! Rules for the text people type into the registry: which characters a name, a kana reading,
//! an address or a free-text item may hold, and the normalisation applied before they are
//! checked. Output is escaped wherever it is shown; these rules keep what cannot belong to a
//! national form (control characters, direction overrides, markup in a name) out of the record.

use unicode_normalization::UnicodeNormalization;

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// A control character (other than a line break or tab in multi-line text), a bidirectional
    /// override or isolate, or another invisible formatting character.
    Invisible,
    /// More characters than the field holds.
    TooLong(usize),
    /// A character the field does not take (markup in a name, a digit in a kana reading …).
    NotAllowed,
    /// The field is required and empty.
    Empty,
}

impl TextProblem {
    /// The message shown at the field, in Japanese and English.
    pub fn messages(self) -> (String, String) {
        match self {
            TextProblem::Invisible => (
                "制御文字や書字方向を変える文字は使用できません。".into(),
                "must not contain control or text-direction characters".into(),
            ),
            TextProblem::TooLong(n) => (
                format!("{n} 文字以内で入力してください。"),
                format!("must be at most {n} characters"),
            ),
            TextProblem::NotAllowed => (
                "使用できない文字が含まれています。".into(),
                "contains characters this field does not take".into(),
            ),
            TextProblem::Empty => ("入力してください。".into(), "is required".into()),
        }
    }
}

/// Characters that change how text is shown without being seen: C0/C1 controls, the
/// bidirectional embeddings, overrides, isolates and marks, zero-width joiners and the BOM.
/// A right-to-left override in a name can make a record read as another.
fn invisible(c: char, multi_line: bool) -> bool {
    if multi_line && matches!(c, '\n' | '\t') {
        return false;
    }
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// Free text (an item's 特記事項, a reason): anything visible, line breaks allowed. A CR LF or
/// lone CR is read as a line break first.
pub fn check_free_text(s: &str, max_chars: usize) -> Result<(), TextProblem> {
    if s.chars().any(|c| c != '\r' && invisible(c, true)) {
        return Err(TextProblem::Invisible);
    }
    if s.chars().filter(|&c| c != '\r').count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(())
}

/// A single line of text (an address, a symbol and number): visible characters only, no
/// markup brackets.
pub fn check_line(s: &str, max_chars: usize) -> Result<(), TextProblem> {
    if s.chars().any(|c| invisible(c, false)) {
        return Err(TextProblem::Invisible);
    }
    if s.chars().any(|c| matches!(c, '<' | '>')) {
        return Err(TextProblem::NotAllowed);
    }
    if s.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(())
}

/// A person's name as written (漢字氏名): letters of any script (kanji, kana, Latin for names
/// of other countries), combining marks, spaces and the marks names use (々 ・ ー ' - .).
/// Never digits, brackets or symbols.
pub fn check_name(s: &str, max_chars: usize) -> Result<(), TextProblem> {
    if s.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    if s.chars().any(|c| invisible(c, false)) {
        return Err(TextProblem::Invisible);
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || c == ' '
            || c == '\u{3000}'
            || matches!(
                c,
                '々' | '〆' | 'ヶ' | 'ヵ' | '・' | '･' | 'ー' | '－' | '-' | '‐' | '\'' | '’' | '.' | '．'
            )
            // Combining marks (a voiced mark written apart, accents of Latin names).
            || ('\u{0300}'..='\u{036F}').contains(&c)
            || ('\u{3099}'..='\u{309A}').contains(&c)
    };
    if !s.chars().all(allowed) {
        return Err(TextProblem::NotAllowed);
    }
    if s.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(())
}

/// A kana reading (カナ氏名) as the forms ask for it: full-width katakana, the long-vowel mark
/// and spaces. Half-width katakana and the ideographic space are first made full-width / plain
/// by [`normalize_kana`].
pub fn check_kana(s: &str, max_chars: usize) -> Result<(), TextProblem> {
    if s.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    if s.chars().any(|c| invisible(c, false)) {
        return Err(TextProblem::Invisible);
    }
    let allowed = |c: char| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | ' ');
    if !s.chars().all(allowed) {
        return Err(TextProblem::NotAllowed);
    }
    if s.chars().count() > max_chars {
        return Err(TextProblem::TooLong(max_chars));
    }
    Ok(())
}

/// Half-width katakana to full-width (ｶﾞ → ガ), the ideographic space to a plain one, runs of
/// spaces to one, trimmed. Only the kana reading is normalised this way: a name in kanji is
/// kept exactly as written (NFKC would replace some 異体字 of family names).
pub fn normalize_kana(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    nfkc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Full-width digits and letters of a code or number to ASCII (１３１２ → 1312), trimmed.
pub fn normalize_code(s: &str) -> String {
    s.nfkc().collect::<String>().trim().to_owned()
}

/// A search key: NFKC (full-width letters and digits to ASCII, half-width kana to full-width),
/// lower case, hiragana as katakana, without spaces or the middle dot — so "ｉｇａ じんしょう",
/// "IgA腎症" and "ＩｇＡ 腎症" meet.
pub fn search_key(s: &str) -> String {
    s.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && !matches!(c, '・' | '･' | '-' | '‐' | '－'))
        .map(|c| match c {
            // ぁ..ゖ and ゝゞ sit 0x60 below their katakana.
            '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            }
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_meet_across_widths_scripts_and_spaces() {
        assert_eq!(search_key("ＩｇＡ 腎症"), search_key("iga腎症"));
        assert_eq!(search_key("かいようせい"), "カイヨウセイ");
        assert_eq!(search_key("ｶｲﾖｳｾｲ"), "カイヨウセイ");
        assert_eq!(search_key("ＴＲＰＶ４"), "trpv4");
    }

    #[test]
    fn half_width_kana_becomes_full_width_and_spaces_plain() {
        assert_eq!(normalize_kana("ﾔﾏﾀﾞ　ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(normalize_kana("  サトウ   ハナコ "), "サトウ ハナコ");
        assert_eq!(normalize_code("１３１２３４５６７９"), "1312345679");
    }

    #[test]
    fn a_kana_reading_takes_katakana_the_long_vowel_mark_and_spaces_only() {
        assert_eq!(check_kana("ヤマダ タロウ", 100), Ok(()));
        assert_eq!(check_kana("ヴァーチャル", 100), Ok(()));
        assert_eq!(check_kana("<script>", 100), Err(TextProblem::NotAllowed));
        assert_eq!(check_kana("やまだ", 100), Err(TextProblem::NotAllowed));
        assert_eq!(check_kana("ヤマダ1", 100), Err(TextProblem::NotAllowed));
        assert_eq!(check_kana(" ", 100), Err(TextProblem::Empty));
        assert_eq!(check_kana("ア\u{202E}イ", 100), Err(TextProblem::Invisible));
        assert_eq!(
            check_kana(&"ア".repeat(101), 100),
            Err(TextProblem::TooLong(100))
        );
    }

    #[test]
    fn a_name_takes_letters_of_any_script_but_no_markup_or_invisible_characters() {
        for ok in [
            "山田 太郎",
            "佐々木　花子",
            "髙橋",
            "O'Brien Mary-Jane",
            "グエン・ヴァン・アン",
        ] {
            assert_eq!(check_name(ok, 50), Ok(()), "{ok}");
        }
        assert_eq!(
            check_name("<script>alert(1)</script>", 50),
            Err(TextProblem::NotAllowed)
        );
        assert_eq!(check_name("山田\u{0000}", 50), Err(TextProblem::Invisible));
        assert_eq!(check_name("山田\u{202E}", 50), Err(TextProblem::Invisible));
        assert_eq!(check_name("山田2", 50), Err(TextProblem::NotAllowed));
        assert_eq!(
            check_name(&"山".repeat(51), 50),
            Err(TextProblem::TooLong(50))
        );
    }

    #[test]
    fn free_text_keeps_line_breaks_and_comparison_signs_but_no_controls() {
        assert_eq!(check_free_text("CRP < 0.3\r\n経過良好\t安定", 100), Ok(()));
        assert_eq!(
            check_free_text("a\u{0007}b", 100),
            Err(TextProblem::Invisible)
        );
        assert_eq!(
            check_free_text("a\u{2066}b", 100),
            Err(TextProblem::Invisible)
        );
        assert_eq!(check_line("札幌市中央区北1条西2丁目", 200), Ok(()));
        assert_eq!(
            check_line("札幌市\n中央区", 200),
            Err(TextProblem::Invisible)
        );
        assert_eq!(check_line("<img src=x>", 200), Err(TextProblem::NotAllowed));
    }
}
