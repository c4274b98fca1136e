//! The keyed patient pseudonyms: what the bus and the research extracts carry instead of a
//! patient.
//!
//! [`Patient::key`](crate::form::Patient::key) groups one patient's forms, but it is a plain
//! digest of kana name, birth date and sex: anyone holding those could recompute it. A pseudonym
//! is HMAC-SHA256 of that key under a secret held outside the database (see
//! `commands::secrets`), so it cannot be recomputed or reversed without the secret.
//!
//! The bus and research never share a pseudonym: the bus pseudonym ([`PseudonymKey`]) sits on
//! every event beside the form id, institution, doctor and jurisdiction, so an extract carrying
//! it could be joined back to all of those by anyone who reads the stream. Research pseudonyms
//! come from their own secret ([`ResearchKey`]), re-keyed per approved study ([`StudyKey`]): a
//! study follows its patients across its own extracts, and two studies' extracts do not join.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Program;

/// The 32-byte secret behind every pseudonym. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey([u8; 32]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a pseudonym key is 64 hexadecimal digits (32 bytes)")]
pub struct InvalidKey;

impl PseudonymKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(bytes)
    }

    /// 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, InvalidKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| InvalidKey)?;
        Ok(PseudonymKey(bytes.try_into().map_err(|_| InvalidKey)?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The pseudonym of the patient whose [`Patient::key`](crate::form::Patient::key) in
    /// `program` is `patient_key`: 32 hexadecimal digits (128 bits of the HMAC).
    pub fn pseudonym(&self, program: Program, patient_key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"nanbyo-pseudonym/v1|");
        mac.update(program.as_str().as_bytes());
        mac.update(b"|");
        mac.update(patient_key.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(***)")
    }
}

/// The 32-byte secret behind every research pseudonym, distinct from the bus's
/// [`PseudonymKey`]: the relay never holds it. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ResearchKey([u8; 32]);

impl ResearchKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ResearchKey(bytes)
    }

    /// 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, InvalidKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| InvalidKey)?;
        Ok(ResearchKey(bytes.try_into().map_err(|_| InvalidKey)?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key of one approved study: `HMAC-SHA256(research key, "nanbyo-research-study/v1|" ‖
    /// program ‖ "|" ‖ approval)`. The approval reference (承認番号) names the study, exactly as
    /// the extract request gives it.
    pub fn study(&self, program: Program, approval: &str) -> StudyKey {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"nanbyo-research-study/v1|");
        mac.update(program.as_str().as_bytes());
        mac.update(b"|");
        mac.update(approval.as_bytes());
        StudyKey(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for ResearchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResearchKey(***)")
    }
}

/// The pseudonym key of one approved study of one program (see [`ResearchKey::study`]).
#[derive(Clone, PartialEq, Eq)]
pub struct StudyKey([u8; 32]);

impl StudyKey {
    /// The study's pseudonym of the patient whose [`Patient::key`](crate::form::Patient::key) is
    /// `patient_key`: `HMAC-SHA256(study key, "nanbyo-research-pseudonym/v1|" ‖ patient key)`,
    /// the first 128 bits in hexadecimal (32 digits).
    pub fn pseudonym(&self, patient_key: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"nanbyo-research-pseudonym/v1|");
        mac.update(patient_key.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

impl std::fmt::Debug for StudyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StudyKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_pseudonym_and_another_key_another() {
        let a = PseudonymKey::from_bytes([7; 32]);
        let b = PseudonymKey::from_bytes([8; 32]);
        let p = a.pseudonym(Program::Nanbyo, "00112233445566778899aabbccddeeff");
        assert_eq!(
            p,
            a.pseudonym(Program::Nanbyo, "00112233445566778899aabbccddeeff")
        );
        assert_eq!(p.len(), 32);
        assert_ne!(
            p,
            b.pseudonym(Program::Nanbyo, "00112233445566778899aabbccddeeff")
        );
        assert_ne!(
            p,
            a.pseudonym(Program::Shoman, "00112233445566778899aabbccddeeff")
        );
        assert_ne!(p, "00112233445566778899aabbccddeeff");
    }

    #[test]
    fn a_research_pseudonym_is_the_studys_own_and_never_the_bus_pseudonym() {
        let patient = "00112233445566778899aabbccddeeff";
        // The same 32 bytes as both secrets (a misconfiguration): the values still differ.
        let bus = PseudonymKey::from_bytes([7; 32]);
        let research = ResearchKey::from_bytes([7; 32]);
        let study = research.study(Program::Nanbyo, "MHLW-2026-0042");
        let p = study.pseudonym(patient);
        assert_eq!(p.len(), 32);
        assert!(p.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(p, bus.pseudonym(Program::Nanbyo, patient));
        // Within a study the patient keeps one pseudonym; another study, another program or
        // another research key gives another.
        assert_eq!(
            p,
            research
                .study(Program::Nanbyo, "MHLW-2026-0042")
                .pseudonym(patient)
        );
        assert_ne!(
            p,
            research
                .study(Program::Nanbyo, "MHLW-2026-0043")
                .pseudonym(patient)
        );
        assert_ne!(
            p,
            research
                .study(Program::Shoman, "MHLW-2026-0042")
                .pseudonym(patient)
        );
        assert_ne!(
            p,
            ResearchKey::from_bytes([8; 32])
                .study(Program::Nanbyo, "MHLW-2026-0042")
                .pseudonym(patient)
        );
        assert_ne!(p, study.pseudonym("00112233445566778899aabbccddeefe"));
        assert_eq!(
            format!("{research:?} {study:?}"),
            "ResearchKey(***) StudyKey(***)"
        );
        assert_eq!(
            ResearchKey::from_hex(&research.to_hex()).expect("hex"),
            research
        );
    }

    #[test]
    fn keys_parse_from_hex_only_at_full_length_and_never_print() {
        let k = PseudonymKey::from_hex(&"ab".repeat(32)).expect("valid");
        assert_eq!(k.to_hex(), "ab".repeat(32));
        assert_eq!(PseudonymKey::from_hex("abcd"), Err(InvalidKey));
        assert_eq!(PseudonymKey::from_hex(&"zz".repeat(32)), Err(InvalidKey));
        assert_eq!(format!("{k:?}"), "PseudonymKey(***)");
    }
}
