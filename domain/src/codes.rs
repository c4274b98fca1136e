//! Public codes that carry a check digit or a fixed structure: 医療機関コード, 公費負担者番号,
//! 受給者番号 and 都道府県番号. Each is a newtype that can only be built by parsing, so an invalid
//! code cannot exist past the edge. The check-digit rule lives here and nowhere else.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a code was refused. Messages name the code kind, never echo the value: a recipient
/// number is personal data and error texts end up in logs and responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{kind} must be {len} digits")]
    Length { kind: &'static str, len: usize },
    #[error("{kind} must contain digits only")]
    NotDigits { kind: &'static str },
    #[error("{kind} has a wrong check digit")]
    CheckDigit { kind: &'static str },
    #[error("{kind} has an unknown prefecture number")]
    Prefecture { kind: &'static str },
    #[error("{kind} has an unknown score table number (1 医科, 3 歯科, 4 調剤)")]
    ScoreTable { kind: &'static str },
    #[error("{kind} has a law number that is not 54 (難病) or 52 (小慢)")]
    LawNumber { kind: &'static str },
}

/// The ministry's check digit: modulus 10, weights 2-1. Digits are multiplied by 2 and 1
/// alternately starting with 2 on the rightmost digit; two-digit products add their digits;
/// the check digit is 10 minus the last digit of the sum (0 when that digit is 0).
pub fn mod10_w21(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let p = u32::from(*d) * if i % 2 == 0 { 2 } else { 1 };
            p / 10 + p % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// `body` (ASCII digits) followed by its modulus-10 weight-2-1 check digit: how generated
/// codes (医療機関コード, 受給者番号) get a valid one. Panics on a non-digit, which only a
/// programming error can pass.
pub fn append_check_digit(body: &str) -> String {
    let digits: Vec<u8> = body
        .bytes()
        .map(|b| {
            assert!(b.is_ascii_digit(), "a code body is digits");
            b - b'0'
        })
        .collect();
    format!("{body}{}", mod10_w21(&digits))
}

fn digits(kind: &'static str, s: &str, len: usize) -> Result<Vec<u8>, CodeError> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits { kind });
    }
    if s.len() != len {
        return Err(CodeError::Length { kind, len });
    }
    Ok(s.bytes().map(|b| b - b'0').collect())
}

fn with_check_digit(kind: &'static str, s: &str, len: usize) -> Result<Vec<u8>, CodeError> {
    let d = digits(kind, s, len)?;
    if mod10_w21(&d[..len - 1]) != d[len - 1] {
        return Err(CodeError::CheckDigit { kind });
    }
    Ok(d)
}

macro_rules! code_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                $name::parse(s)
            }
        }
    };
}

/// 都道府県番号: 01 北海道 … 47 沖縄.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrefectureCode(String);
code_newtype!(PrefectureCode);

impl PrefectureCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let kind = "prefecture number";
        let d = digits(kind, s, 2)?;
        let n = d[0] * 10 + d[1];
        if !(1..=47).contains(&n) {
            return Err(CodeError::Prefecture { kind });
        }
        Ok(PrefectureCode(s.to_owned()))
    }
}

/// 全国地方公共団体コード: a prefecture, a designated city or any municipality — 5 digits and a
/// check digit (weights 6-5-4-3-2, modulus 11, the last digit of 11 minus the remainder).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalGovernmentCode(String);
code_newtype!(LocalGovernmentCode);

impl LocalGovernmentCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let kind = "local government code";
        let d = digits(kind, s, 6)?;
        let sum: u32 = d[..5]
            .iter()
            .zip([6u32, 5, 4, 3, 2])
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        if ((11 - sum % 11) % 10) as u8 != d[5] {
            return Err(CodeError::CheckDigit { kind });
        }
        PrefectureCode::parse(&s[..2]).map_err(|_| CodeError::Prefecture { kind })?;
        Ok(LocalGovernmentCode(s.to_owned()))
    }

    pub fn prefecture(&self) -> PrefectureCode {
        PrefectureCode(self.0[..2].to_owned())
    }

    /// A prefecture's own code ends in 000 before the check digit (東京都 130001).
    pub fn is_prefecture(&self) -> bool {
        &self.0[2..5] == "000"
    }

    /// The prefecture's own code (北海道 010006).
    pub fn of_prefecture(prefecture: &PrefectureCode) -> LocalGovernmentCode {
        let body = format!("{}000", prefecture.as_str());
        let sum: u32 = body
            .bytes()
            .map(|b| u32::from(b - b'0'))
            .zip([6u32, 5, 4, 3, 2])
            .map(|(d, w)| d * w)
            .sum();
        LocalGovernmentCode(format!("{body}{}", (11 - sum % 11) % 10))
    }
}

/// 医療機関コード: 都道府県番号 2 + 点数表番号 1 + 郡市区番号 2 + 医療機関番号 4 + 検証番号 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionCode(String);
code_newtype!(InstitutionCode);

impl InstitutionCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let kind = "medical institution code";
        let d = with_check_digit(kind, s, 10)?;
        PrefectureCode::parse(&s[..2]).map_err(|_| CodeError::Prefecture { kind })?;
        if !matches!(d[2], 1 | 3 | 4) {
            return Err(CodeError::ScoreTable { kind });
        }
        Ok(InstitutionCode(s.to_owned()))
    }

    /// The prefecture the institution is in: the code's first two digits.
    pub fn prefecture(&self) -> PrefectureCode {
        PrefectureCode(self.0[..2].to_owned())
    }
}

/// 公費負担者番号: 法別番号 2 (54 難病, 52 小慢) + 都道府県番号 2 + 実施機関番号 3 + 検証番号 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayerNumber(String);
code_newtype!(PayerNumber);

impl PayerNumber {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let kind = "payer number";
        with_check_digit(kind, s, 8)?;
        if !matches!(&s[..2], "54" | "52") {
            return Err(CodeError::LawNumber { kind });
        }
        PrefectureCode::parse(&s[2..4]).map_err(|_| CodeError::Prefecture { kind })?;
        Ok(PayerNumber(s.to_owned()))
    }
}

/// 受給者番号: 6 digits + 検証番号 1. Personal data: never logged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RecipientNumber(String);
code_newtype!(RecipientNumber);

impl RecipientNumber {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        with_check_digit("recipient number", s, 7)?;
        Ok(RecipientNumber(s.to_owned()))
    }
}

impl fmt::Debug for RecipientNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecipientNumber(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appended_check_digit_makes_a_code_that_parses() {
        assert_eq!(append_check_digit("011011371"), "0110113719");
        for n in [0u32, 7, 4242, 9999] {
            let code = append_check_digit(&format!("01101{n:04}"));
            assert!(InstitutionCode::parse(&code).is_ok(), "{code}");
        }
    }

    #[test]
    fn check_digit_matches_the_published_examples() {
        // SPEC: 5401602 → 7 (payer number 54016027); 0110113719 is a valid institution code.
        assert_eq!(mod10_w21(&[5, 4, 0, 1, 6, 0, 2]), 7);
        assert!(PayerNumber::parse("54016027").is_ok());
        assert!(InstitutionCode::parse("0110113719").is_ok());
    }

    #[test]
    fn a_wrong_check_digit_is_refused_for_every_kind() {
        assert_eq!(
            InstitutionCode::parse("0110113718"),
            Err(CodeError::CheckDigit {
                kind: "medical institution code"
            })
        );
        assert!(matches!(
            PayerNumber::parse("54016028"),
            Err(CodeError::CheckDigit { .. })
        ));
        // 123456 → weights from the right 2,1,2,1,2,1: 12→3, 5, 8, 3, 4, 1 = 24 → 6.
        assert!(RecipientNumber::parse("1234566").is_ok());
        assert!(matches!(
            RecipientNumber::parse("1234567"),
            Err(CodeError::CheckDigit { .. })
        ));
    }

    #[test]
    fn structure_is_checked_beyond_the_check_digit() {
        assert!(matches!(
            InstitutionCode::parse("011011371"),
            Err(CodeError::Length { .. })
        ));
        assert!(matches!(
            InstitutionCode::parse("01101137a9"),
            Err(CodeError::NotDigits { .. })
        ));
        // Prefecture 48 does not exist; the check digit is right for the body.
        let body = [4, 8, 1, 0, 1, 1, 3, 7, 1];
        let code = format!("481011371{}", mod10_w21(&body));
        assert!(matches!(
            InstitutionCode::parse(&code),
            Err(CodeError::Prefecture { .. })
        ));
        // Score table 2 is not 医科, 歯科 or 調剤.
        let body = [0, 1, 2, 0, 1, 1, 3, 7, 1];
        let code = format!("012011371{}", mod10_w21(&body));
        assert!(matches!(
            InstitutionCode::parse(&code),
            Err(CodeError::ScoreTable { .. })
        ));
        // 53 is neither 54 nor 52.
        let body = [5, 3, 0, 1, 6, 0, 2];
        let code = format!("5301602{}", mod10_w21(&body));
        assert!(matches!(
            PayerNumber::parse(&code),
            Err(CodeError::LawNumber { .. })
        ));
    }

    #[test]
    fn local_government_codes_follow_the_modulus_11_rule() {
        // 北海道 010006, 札幌市 011002, 東京都 130001, 横浜市 141003, 那覇市 472018.
        for ok in ["010006", "011002", "130001", "141003", "472018"] {
            assert!(LocalGovernmentCode::parse(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            LocalGovernmentCode::parse("130002"),
            Err(CodeError::CheckDigit { .. })
        ));
        let tokyo = LocalGovernmentCode::parse("130001").unwrap();
        assert!(tokyo.is_prefecture());
        assert!(!LocalGovernmentCode::parse("011002")
            .unwrap()
            .is_prefecture());
        assert_eq!(tokyo.prefecture().as_str(), "13");
    }

    #[test]
    fn institution_code_knows_its_prefecture() {
        let code = InstitutionCode::parse("0110113719").unwrap();
        assert_eq!(code.prefecture().as_str(), "01");
    }

    #[test]
    fn codes_deserialise_only_when_valid() {
        let ok: Result<InstitutionCode, _> = serde_json::from_str("\"0110113719\"");
        assert!(ok.is_ok());
        let bad: Result<InstitutionCode, _> = serde_json::from_str("\"0110113718\"");
        assert!(bad.is_err());
    }

    #[test]
    fn recipient_number_debug_does_not_reveal_the_number() {
        let n = RecipientNumber::parse("1234566").unwrap();
        assert!(!format!("{n:?}").contains("123456"));
    }
}
