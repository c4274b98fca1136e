//! The 実施主体 of both programs: the 47 prefectures and the 20 designated cities (政令指定都市),
//! by 全国地方公共団体コード. A form is reviewed by the one whose jurisdiction the patient lives in.

use crate::codes::LocalGovernmentCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Prefecture,
    DesignatedCity,
}

/// (code, name, kind). Source: 総務省 全国地方公共団体コード.
pub const IMPLEMENTING_BODIES: &[(&str, &str, Kind)] = &[
    ("010006", "北海道", Kind::Prefecture),
    ("020001", "青森県", Kind::Prefecture),
    ("030007", "岩手県", Kind::Prefecture),
    ("040002", "宮城県", Kind::Prefecture),
    ("050008", "秋田県", Kind::Prefecture),
    ("060003", "山形県", Kind::Prefecture),
    ("070009", "福島県", Kind::Prefecture),
    ("080004", "茨城県", Kind::Prefecture),
    ("090000", "栃木県", Kind::Prefecture),
    ("100005", "群馬県", Kind::Prefecture),
    ("110001", "埼玉県", Kind::Prefecture),
    ("120006", "千葉県", Kind::Prefecture),
    ("130001", "東京都", Kind::Prefecture),
    ("140007", "神奈川県", Kind::Prefecture),
    ("150002", "新潟県", Kind::Prefecture),
    ("160008", "富山県", Kind::Prefecture),
    ("170003", "石川県", Kind::Prefecture),
    ("180009", "福井県", Kind::Prefecture),
    ("190004", "山梨県", Kind::Prefecture),
    ("200000", "長野県", Kind::Prefecture),
    ("210005", "岐阜県", Kind::Prefecture),
    ("220001", "静岡県", Kind::Prefecture),
    ("230006", "愛知県", Kind::Prefecture),
    ("240001", "三重県", Kind::Prefecture),
    ("250007", "滋賀県", Kind::Prefecture),
    ("260002", "京都府", Kind::Prefecture),
    ("270008", "大阪府", Kind::Prefecture),
    ("280003", "兵庫県", Kind::Prefecture),
    ("290009", "奈良県", Kind::Prefecture),
    ("300004", "和歌山県", Kind::Prefecture),
    ("310000", "鳥取県", Kind::Prefecture),
    ("320005", "島根県", Kind::Prefecture),
    ("330001", "岡山県", Kind::Prefecture),
    ("340006", "広島県", Kind::Prefecture),
    ("350001", "山口県", Kind::Prefecture),
    ("360007", "徳島県", Kind::Prefecture),
    ("370002", "香川県", Kind::Prefecture),
    ("380008", "愛媛県", Kind::Prefecture),
    ("390003", "高知県", Kind::Prefecture),
    ("400009", "福岡県", Kind::Prefecture),
    ("410004", "佐賀県", Kind::Prefecture),
    ("420000", "長崎県", Kind::Prefecture),
    ("430005", "熊本県", Kind::Prefecture),
    ("440001", "大分県", Kind::Prefecture),
    ("450006", "宮崎県", Kind::Prefecture),
    ("460001", "鹿児島県", Kind::Prefecture),
    ("470007", "沖縄県", Kind::Prefecture),
    ("011002", "札幌市", Kind::DesignatedCity),
    ("041009", "仙台市", Kind::DesignatedCity),
    ("111007", "さいたま市", Kind::DesignatedCity),
    ("121002", "千葉市", Kind::DesignatedCity),
    ("141003", "横浜市", Kind::DesignatedCity),
    ("141305", "川崎市", Kind::DesignatedCity),
    ("141500", "相模原市", Kind::DesignatedCity),
    ("151009", "新潟市", Kind::DesignatedCity),
    ("221007", "静岡市", Kind::DesignatedCity),
    ("221309", "浜松市", Kind::DesignatedCity),
    ("231002", "名古屋市", Kind::DesignatedCity),
    ("261009", "京都市", Kind::DesignatedCity),
    ("271004", "大阪市", Kind::DesignatedCity),
    ("271403", "堺市", Kind::DesignatedCity),
    ("281000", "神戸市", Kind::DesignatedCity),
    ("331007", "岡山市", Kind::DesignatedCity),
    ("341002", "広島市", Kind::DesignatedCity),
    ("401005", "北九州市", Kind::DesignatedCity),
    ("401307", "福岡市", Kind::DesignatedCity),
    ("431001", "熊本市", Kind::DesignatedCity),
];

/// The implementing body with this code, if it is one.
pub fn implementing_body(code: &LocalGovernmentCode) -> Option<(&'static str, Kind)> {
    IMPLEMENTING_BODIES
        .iter()
        .find(|(c, _, _)| *c == code.as_str())
        .map(|(_, name, kind)| (*name, *kind))
}

/// The implementing body responsible for a resident of `municipality`. Codes whose
/// municipality part is 100-199 are designated cities and their wards (区), which belong to the
/// designated city with the nearest code at or below them; every other municipality — and
/// Tokyo's special wards (特別区, 13101-13123), which are in that range but in a prefecture
/// without a designated city — belongs to its prefecture.
pub fn responsible_for(municipality: &LocalGovernmentCode) -> Option<LocalGovernmentCode> {
    let code = municipality.as_str();
    let number: u32 = code[2..5].parse().ok()?;
    let pick = |c: &str| LocalGovernmentCode::parse(c).ok();
    let city = (100..200)
        .contains(&number)
        .then(|| {
            IMPLEMENTING_BODIES
                .iter()
                .filter(|(c, _, k)| {
                    *k == Kind::DesignatedCity && c[..2] == code[..2] && c[..5] <= code[..5]
                })
                .map(|(c, _, _)| *c)
                .max()
        })
        .flatten();
    match city {
        Some(c) => pick(c),
        None => IMPLEMENTING_BODIES
            .iter()
            .find(|(c, _, k)| *k == Kind::Prefecture && c[..2] == code[..2])
            .and_then(|(c, _, _)| pick(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyos_special_wards_belong_to_tokyo() {
        let code = |c: &str| LocalGovernmentCode::parse(c).expect(c);
        // 千代田区 and 江戸川区: 特別区, not wards of a designated city.
        for ward in ["131016", "131237"] {
            assert_eq!(responsible_for(&code(ward)), Some(code("130001")), "{ward}");
        }
        // A ward of a designated city still belongs to its city (札幌市中央区 → 札幌市).
        assert_eq!(responsible_for(&code("011011")), Some(code("011002")));
    }

    #[test]
    fn every_code_is_valid_and_the_counts_are_right() {
        for (code, name, _) in IMPLEMENTING_BODIES {
            let parsed =
                LocalGovernmentCode::parse(code).unwrap_or_else(|e| panic!("{name} {code}: {e}"));
            assert_eq!(
                parsed.is_prefecture(),
                implementing_body(&parsed).map(|b| b.1) == Some(Kind::Prefecture)
            );
        }
        let count = |k| IMPLEMENTING_BODIES.iter().filter(|b| b.2 == k).count();
        assert_eq!(
            (count(Kind::Prefecture), count(Kind::DesignatedCity)),
            (47, 20)
        );
        let sapporo = LocalGovernmentCode::parse("011002").expect("code");
        assert_eq!(
            implementing_body(&sapporo),
            Some(("札幌市", Kind::DesignatedCity))
        );
        let otaru = LocalGovernmentCode::parse("012025").expect("code");
        assert_eq!(implementing_body(&otaru), None);
    }

    #[test]
    fn residents_belong_to_their_designated_city_or_prefecture() {
        let code = |c: &str| LocalGovernmentCode::parse(c).expect("code");
        let of = |c: &str| responsible_for(&code(c)).map(|b| b.to_string());
        // 小樽市 → 北海道; 札幌市 and its 中央区 → 札幌市.
        assert_eq!(of("012025").as_deref(), Some("010006"));
        assert_eq!(of("011002").as_deref(), Some("011002"));
        assert_eq!(of("011011").as_deref(), Some("011002"));
        // 川崎市川崎区 (14131) → 川崎市, not 横浜市; 横浜市青葉区 (14117) → 横浜市.
        assert_eq!(of("141313").as_deref(), Some("141305"));
        assert_eq!(of("141178").as_deref(), Some("141003"));
        // 浜松市中央区 (22138, renumbered in 2024) → 浜松市.
        assert_eq!(of("221384").as_deref(), Some("221309"));
    }
}
