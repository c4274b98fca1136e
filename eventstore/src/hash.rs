//! The tamper-evidence chain. Each event's hash is SHA-256 over the previous event's hash (32
//! zero bytes for a stream's first event) and the event's own fields, each length-prefixed so
//! that no two different events can produce the same byte string. Payload and metadata are
//! hashed as the exact JSON text stored, which is why both backends keep that text verbatim
//! (PostgreSQL `json`, not `jsonb`, which would re-encode it). The global position is not
//! hashed: it is assigned by the database after the hash is computed, and the chain protects
//! the content of each stream, not the interleaving of streams.

use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const GENESIS: [u8; 32] = [0; 32];

/// The fields that are hashed, borrowed from wherever they are.
pub struct HashInput<'a> {
    pub event_id: Uuid,
    pub stream_type: &'a str,
    pub stream_id: &'a str,
    pub version: u64,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub payload_json: &'a str,
    pub metadata_json: &'a str,
    pub recorded_at_micros: i64,
}

pub fn chain_hash(previous: &[u8; 32], e: &HashInput<'_>) -> [u8; 32] {
    fn field(h: &mut Sha256, bytes: &[u8]) {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    let mut h = Sha256::new();
    h.update(b"nanbyo-event-v1");
    h.update(previous);
    h.update(e.event_id.as_bytes());
    field(&mut h, e.stream_type.as_bytes());
    field(&mut h, e.stream_id.as_bytes());
    h.update(e.version.to_be_bytes());
    field(&mut h, e.event_type.as_bytes());
    h.update(e.schema_version.to_be_bytes());
    field(&mut h, e.payload_json.as_bytes());
    field(&mut h, e.metadata_json.as_bytes());
    h.update(e.recorded_at_micros.to_be_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(payload: &'a str) -> HashInput<'a> {
        HashInput {
            event_id: Uuid::nil(),
            stream_type: "institution",
            stream_id: "0110113719",
            version: 1,
            event_type: "InstitutionRenamed",
            schema_version: 1,
            payload_json: payload,
            metadata_json: "{}",
            recorded_at_micros: 0,
        }
    }

    #[test]
    fn any_change_of_content_or_predecessor_changes_the_hash() {
        let a = chain_hash(&GENESIS, &input(r#"{"name":"a"}"#));
        assert_ne!(a, chain_hash(&GENESIS, &input(r#"{"name":"b"}"#)));
        assert_ne!(a, chain_hash(&[1; 32], &input(r#"{"name":"a"}"#)));
        assert_eq!(a, chain_hash(&GENESIS, &input(r#"{"name":"a"}"#)));
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let mut x = input("{}");
        x.stream_type = "ab";
        x.stream_id = "c";
        let mut y = input("{}");
        y.stream_type = "a";
        y.stream_id = "bc";
        assert_ne!(chain_hash(&GENESIS, &x), chain_hash(&GENESIS, &y));
    }
}
