//! The two subsidy programs and the roles of the accounts that work in them. Every account
//! belongs to exactly one program; nothing of one program is visible from the other.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The subsidy program a record or an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// 難病: designated intractable diseases (指定難病); forms are 臨床調査個人票.
    Nanbyo,
    /// 小慢: specified pediatric chronic diseases (小児慢性特定疾病); forms are 医療意見書.
    Shoman,
}

impl Program {
    pub const ALL: [Program; 2] = [Program::Nanbyo, Program::Shoman];

    pub fn as_str(self) -> &'static str {
        match self {
            Program::Nanbyo => "nanbyo",
            Program::Shoman => "shoman",
        }
    }

    /// The 法別番号 that opens this program's 公費負担者番号 (payer number).
    pub fn law_number(self) -> &'static str {
        match self {
            Program::Nanbyo => "54",
            Program::Shoman => "52",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Program {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nanbyo" | "難病" => Ok(Program::Nanbyo),
            "shoman" | "小慢" => Ok(Program::Shoman),
            other => Err(UnknownName::new("program", other)),
        }
    }
}

/// What an account may do; see SPEC "Who uses it". `System` is the registry itself (a relay,
/// a linkage answer, a migration) and is never the role of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 指定医 (難病指定医, 協力難病指定医 or 小慢指定医).
    DesignatedDoctor,
    /// クラーク (代行入力者): enters drafts for the doctors of one institution.
    Clerk,
    /// 責任者 of a medical institution.
    ResponsiblePerson,
    /// 自治体職員 (管理者).
    MunicipalityAdmin,
    /// 自治体職員 (一般).
    MunicipalityStaff,
    /// システム運営主体.
    Operator,
    /// Read-only auditor.
    Auditor,
    /// The registry itself.
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DesignatedDoctor => "designated_doctor",
            Role::Clerk => "clerk",
            Role::ResponsiblePerson => "responsible_person",
            Role::MunicipalityAdmin => "municipality_admin",
            Role::MunicipalityStaff => "municipality_staff",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::System => "system",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the known values of a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

impl UnknownName {
    fn new(what: &'static str, value: &str) -> Self {
        // Cap what we echo back: this text can end up in an error response.
        let value = value.chars().take(40).collect();
        UnknownName { what, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_parses_english_and_japanese_names() {
        assert_eq!("nanbyo".parse::<Program>().unwrap(), Program::Nanbyo);
        assert_eq!("小慢".parse::<Program>().unwrap(), Program::Shoman);
        assert!("both".parse::<Program>().is_err());
    }

    #[test]
    fn program_serialises_as_its_stable_name() {
        assert_eq!(
            serde_json::to_string(&Program::Shoman).unwrap(),
            "\"shoman\""
        );
        assert_eq!(
            serde_json::to_string(&Role::MunicipalityStaff).unwrap(),
            "\"municipality_staff\""
        );
    }
}
