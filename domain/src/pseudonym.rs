//! The keyed patient pseudonym: what research extracts and the bus carry instead of a patient.
//!
//! [`Patient::key`](crate::form::Patient::key) groups one patient's forms, but it is a plain
//! digest of kana name, birth date and sex: anyone holding those could recompute it. The
//! pseudonym is HMAC-SHA256 of that key under a secret held outside the database (see
//! `commands::secrets`), so it cannot be recomputed or reversed without the secret, and it stays
//! stable across extracts for as long as the secret does.

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
    fn keys_parse_from_hex_only_at_full_length_and_never_print() {
        let k = PseudonymKey::from_hex(&"ab".repeat(32)).expect("valid");
        assert_eq!(k.to_hex(), "ab".repeat(32));
        assert_eq!(PseudonymKey::from_hex("abcd"), Err(InvalidKey));
        assert_eq!(PseudonymKey::from_hex(&"zz".repeat(32)), Err(InvalidKey));
        assert_eq!(format!("{k:?}"), "PseudonymKey(***)");
    }
}
