//! The 実施主体 of both programs: the 47 prefectures and the 20 designated cities (政令指定都市),
//! by 全国地方公共団体コード. A form is reviewed by the one whose jurisdiction the patient lives in.
//!
//! The list is a master like the disease master: versions published whole to one stream, never
//! edited in place, the latest in force. The release ships the list below as its first version;
//! an operator publishes the next one (a city that becomes designated, a merger) through the API.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::codes::LocalGovernmentCode;
use crate::event::{DomainEvent, EventKind};
use crate::master::MasterError;
use crate::program::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// One 実施主体 of a municipality master version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImplementingBody {
    pub code: LocalGovernmentCode,
    pub name: String,
    pub kind: Kind,
}

/// The list shipped with this release (the table above).
pub fn shipped() -> Vec<ImplementingBody> {
    IMPLEMENTING_BODIES
        .iter()
        .map(|(code, name, kind)| ImplementingBody {
            code: LocalGovernmentCode::parse(code).expect("the shipped codes are valid (tested)"),
            name: (*name).to_owned(),
            kind: *kind,
        })
        .collect()
}

/// One version of the list, as forms are checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Municipalities {
    pub version: String,
    pub bodies: Vec<ImplementingBody>,
}

impl Municipalities {
    /// The implementing body with this code, if it is one.
    pub fn body(&self, code: &LocalGovernmentCode) -> Option<&ImplementingBody> {
        self.bodies.iter().find(|b| b.code == *code)
    }

    /// The implementing body responsible for a resident of `municipality`. Codes whose
    /// municipality part is 100-199 are designated cities and their wards (区), which belong to
    /// the designated city with the nearest code at or below them; every other municipality —
    /// and Tokyo's special wards (特別区, 13101-13123), which are in that range but in a
    /// prefecture without a designated city — belongs to its prefecture.
    pub fn responsible_for(
        &self,
        municipality: &LocalGovernmentCode,
    ) -> Option<LocalGovernmentCode> {
        let code = municipality.as_str();
        let number: u32 = code[2..5].parse().ok()?;
        let of_kind = |kind| {
            self.bodies
                .iter()
                .filter(move |b| b.kind == kind && b.code.as_str()[..2] == code[..2])
        };
        let city = (100..200)
            .contains(&number)
            .then(|| {
                of_kind(Kind::DesignatedCity)
                    .filter(|b| b.code.as_str()[..5] <= code[..5])
                    .max_by(|a, b| a.code.as_str().cmp(b.code.as_str()))
            })
            .flatten();
        city.or_else(|| of_kind(Kind::Prefecture).next())
            .map(|b| b.code.clone())
    }
}

/// Why a list cannot be published, one line per problem.
pub fn validate(bodies: &[ImplementingBody]) -> Result<(), Vec<String>> {
    let mut problems = vec![];
    for (i, b) in bodies.iter().enumerate() {
        let code = b.code.as_str();
        if b.name.trim().is_empty() || b.name.chars().count() > 64 {
            problems.push(format!("{code}: a name is 1-64 characters"));
        }
        if bodies[..i].iter().any(|o| o.code == b.code) {
            problems.push(format!("{code} appears twice"));
        }
        match b.kind {
            Kind::Prefecture if !b.code.is_prefecture() => {
                problems.push(format!("{code} is not a prefecture's code"));
            }
            Kind::DesignatedCity => {
                // A designated city's code is in the range its wards are numbered in, which is
                // how a resident's ward finds its city.
                let in_range = code[2..5]
                    .parse::<u32>()
                    .is_ok_and(|n| (100..200).contains(&n));
                if !in_range {
                    problems.push(format!(
                        "{code}: a designated city's municipality number is 100-199"
                    ));
                }
                // In 東京都 that range numbers the special wards (特別区), which are the
                // prefecture's: a designated city there would take them.
                if code.starts_with("13") {
                    problems.push(format!(
                        "{code}: 東京都's 100-199 range is its special wards, not a city's"
                    ));
                }
            }
            Kind::Prefecture => {}
        }
    }
    for n in 1..=47 {
        let prefix = format!("{n:02}");
        let prefectures = bodies
            .iter()
            .filter(|b| b.kind == Kind::Prefecture && b.code.as_str().starts_with(&prefix))
            .count();
        if prefectures != 1 {
            problems.push(format!("prefecture {prefix} must appear once"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The one stream that holds every version of the list.
pub const MUNICIPALITY_MASTER_STREAM: &str = "municipalities";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum MunicipalityEvent {
    MunicipalityVersionPublished {
        version: String,
        bodies: Vec<ImplementingBody>,
    },
}

impl DomainEvent for MunicipalityEvent {
    const KINDS: &'static [EventKind] = &[EventKind::new("MunicipalityVersionPublished")];
}

#[derive(Debug, Clone)]
pub struct PublishMunicipalities {
    pub role: Role,
    pub version: String,
    pub bodies: Vec<ImplementingBody>,
}

/// Every published version, oldest first; the last is in force.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MunicipalityMaster {
    pub versions: Vec<Municipalities>,
}

impl MunicipalityMaster {
    pub fn in_force(&self) -> Option<&Municipalities> {
        self.versions.last()
    }

    /// The list forms and accounts are checked against: the latest version, or — on a store
    /// where none has been published yet (the service publishes the shipped list at its first
    /// start) — the shipped list.
    pub fn checked_against(&self) -> Municipalities {
        self.in_force().cloned().unwrap_or_else(|| Municipalities {
            version: "shipped".into(),
            bodies: shipped(),
        })
    }
}

impl Aggregate for MunicipalityMaster {
    const STREAM_TYPE: &'static str = "municipality_master";
    type Event = MunicipalityEvent;
    type Command = PublishMunicipalities;
    type Error = MasterError;

    fn decide(&self, c: &PublishMunicipalities) -> Result<Vec<MunicipalityEvent>, MasterError> {
        if !matches!(c.role, Role::Operator | Role::System) {
            return Err(MasterError::Forbidden);
        }
        if !crate::master::valid_version_name(&c.version) {
            return Err(MasterError::InvalidVersion);
        }
        if self.versions.iter().any(|v| v.version == c.version) {
            return Err(MasterError::VersionExists(c.version.clone()));
        }
        let mut problems = validate(&c.bodies).err().unwrap_or_default();
        // A ward finds its city as the nearest designated city at or below its code: a city
        // dropped from the list while a lower-numbered one of its prefecture stays would hand
        // its wards to that one instead of to the prefecture.
        if let Some(current) = self.in_force() {
            let cities = |bodies: &'_ [ImplementingBody]| {
                bodies
                    .iter()
                    .filter(|b| b.kind == Kind::DesignatedCity)
                    .map(|b| b.code.clone())
                    .collect::<Vec<_>>()
            };
            let kept = cities(&c.bodies);
            for gone in cities(&current.bodies).iter().filter(|g| !kept.contains(g)) {
                let heir = kept
                    .iter()
                    .filter(|k| k.as_str()[..2] == gone.as_str()[..2] && k.as_str() < gone.as_str())
                    .max_by(|a, b| a.as_str().cmp(b.as_str()));
                if let Some(heir) = heir {
                    problems.push(format!(
                        "{gone} cannot be dropped: its wards would go to {heir}"
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(MasterError::Invalid(problems));
        }
        Ok(vec![MunicipalityEvent::MunicipalityVersionPublished {
            version: c.version.clone(),
            bodies: c.bodies.clone(),
        }])
    }

    fn apply(mut self, event: &MunicipalityEvent) -> Self {
        let MunicipalityEvent::MunicipalityVersionPublished { version, bodies } = event;
        self.versions.push(Municipalities {
            version: version.clone(),
            bodies: bodies.clone(),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responsible_for(code: &LocalGovernmentCode) -> Option<LocalGovernmentCode> {
        Municipalities {
            version: "shipped".into(),
            bodies: shipped(),
        }
        .responsible_for(code)
    }

    fn implementing_body(code: &LocalGovernmentCode) -> Option<(String, Kind)> {
        Municipalities {
            version: "shipped".into(),
            bodies: shipped(),
        }
        .body(code)
        .map(|b| (b.name.clone(), b.kind))
    }

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
            Some(("札幌市".to_owned(), Kind::DesignatedCity))
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

    #[test]
    fn the_shipped_list_is_valid() {
        assert_eq!(validate(&shipped()), Ok(()));
    }

    #[test]
    fn a_list_that_loses_a_prefecture_or_misplaces_a_city_is_refused() {
        let mut bodies = shipped();
        bodies.retain(|b| b.name != "沖縄県");
        // 小樽市 (01202) is numbered outside the range of designated cities' wards.
        bodies.push(ImplementingBody {
            code: LocalGovernmentCode::parse("012025").expect("code"),
            name: "小樽市".into(),
            kind: Kind::DesignatedCity,
        });
        bodies.push(bodies[0].clone());
        let problems = validate(&bodies).expect_err("refused");
        assert!(
            problems
                .iter()
                .any(|p| p == "prefecture 47 must appear once"),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("012025:")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p == "010006 appears twice"),
            "{problems:?}"
        );
        let mut wrong_kind = shipped();
        wrong_kind[0].kind = Kind::DesignatedCity;
        wrong_kind.push(ImplementingBody {
            code: LocalGovernmentCode::parse("011002").expect("code"),
            name: "札幌市".into(),
            kind: Kind::Prefecture,
        });
        wrong_kind.push(ImplementingBody {
            code: LocalGovernmentCode::parse("131008").expect("code"),
            name: "特別区".into(),
            kind: Kind::DesignatedCity,
        });
        let problems = validate(&wrong_kind).expect_err("refused");
        assert!(
            problems.iter().any(|p| p.starts_with("131008:")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p == "011002 is not a prefecture's code"),
            "{problems:?}"
        );
    }

    #[test]
    fn versions_are_published_whole_by_the_operator_and_the_latest_is_in_force() {
        let publish = |role, version: &str, bodies| PublishMunicipalities {
            role,
            version: version.into(),
            bodies,
        };
        let m = MunicipalityMaster::default();
        assert_eq!(
            m.decide(&publish(Role::MunicipalityAdmin, "v1", shipped())),
            Err(MasterError::Forbidden)
        );
        assert_eq!(
            m.decide(&publish(Role::Operator, "v 1", shipped())),
            Err(MasterError::InvalidVersion)
        );
        let m = MunicipalityMaster::fold(
            &m.decide(&publish(Role::Operator, "v1", shipped()))
                .expect("published"),
        );
        assert_eq!(
            m.decide(&publish(Role::Operator, "v1", shipped())),
            Err(MasterError::VersionExists("v1".into()))
        );
        // The list as it was before 熊本市 became a designated city (2012-04-01): its
        // residents were 熊本県's.
        let before: Vec<ImplementingBody> = shipped()
            .into_iter()
            .filter(|b| b.name != "熊本市")
            .collect();
        let m = m.clone().apply(
            &m.decide(&publish(Role::Operator, "v2", before))
                .expect("published")[0],
        );
        let in_force = m.in_force().expect("a version");
        assert_eq!(in_force.version, "v2");
        // Without 川崎市, 川崎区 would be routed to 横浜市: refused.
        let no_kawasaki: Vec<ImplementingBody> = shipped()
            .into_iter()
            .filter(|b| b.name != "川崎市")
            .collect();
        match m.decide(&publish(Role::Operator, "v3", no_kawasaki)) {
            Err(MasterError::Invalid(p)) => {
                assert_eq!(
                    p,
                    ["141305 cannot be dropped: its wards would go to 141003"]
                )
            }
            other => panic!("{other:?}"),
        }
        let chuo_ku = LocalGovernmentCode::parse("431010").expect("熊本市中央区");
        assert_eq!(
            in_force
                .responsible_for(&chuo_ku)
                .map(|c| c.to_string())
                .as_deref(),
            Some("430005")
        );
        assert_eq!(
            m.versions[0]
                .responsible_for(&chuo_ku)
                .map(|c| c.to_string())
                .as_deref(),
            Some("431001")
        );
    }
}
