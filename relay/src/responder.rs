//! The REFERENCE RESPONDER: a stand-in for the national history inquiry / response system
//! (履歴照会・回答システム), for tests and demos only. It answers each inquiry on
//! `linkage.inquiry.<program>` on `linkage.response.<program>` with a deterministic linkage id
//! (a digest of kana name, birth date and sex, so a change of insurer keeps the id), or with
//! not-found for the insurer numbers it is told to refuse. It is not the real system and
//! shares no algorithm with it.

use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::linkage::{LinkageInquiry, LinkageResponse};

#[derive(Debug, Clone, Default)]
pub struct ResponderConfig {
    /// Inquiries with one of these insurer numbers (or with none, when `None` is listed as
    /// an empty string) are answered not-found.
    pub not_found_insurers: Vec<String>,
    /// Send every answer this many times (1 normally; 2 to exercise duplicate answers).
    pub copies: usize,
}

/// The linkage id the reference responder gives a person.
pub fn linkage_id(inquiry: &LinkageInquiry) -> String {
    let kana: String = inquiry
        .name_kana
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let digest = Sha256::digest(
        format!(
            "reference-responder/v1|{kana}|{}|{}",
            inquiry.birth_date, inquiry.sex
        )
        .as_bytes(),
    );
    format!("REF-{}", hex::encode(&digest[..10]))
}

/// The answer to one inquiry.
pub fn answer(config: &ResponderConfig, inquiry: &LinkageInquiry) -> LinkageResponse {
    let insurer = inquiry.insurer_number.clone().unwrap_or_default();
    if config.not_found_insurers.contains(&insurer) {
        LinkageResponse::NotFound {
            request_id: inquiry.request_id.clone(),
            reason: "no_record".into(),
        }
    } else {
        LinkageResponse::Assigned {
            request_id: inquiry.request_id.clone(),
            linkage_id: linkage_id(inquiry),
        }
    }
}

/// Answers inquiries until the connection closes.
pub async fn run(client: async_nats::Client, config: ResponderConfig) -> anyhow::Result<()> {
    let mut inquiries = client
        .queue_subscribe("linkage.inquiry.*", "reference-responder".into())
        .await?;
    while let Some(message) = inquiries.next().await {
        let Some(program) = message.subject.as_str().rsplit('.').next() else {
            continue;
        };
        let Ok(inquiry) = serde_json::from_slice::<LinkageInquiry>(&message.payload) else {
            tracing::warn!("inquiry not understood; ignored");
            continue;
        };
        let response = answer(&config, &inquiry);
        let body = serde_json::to_vec(&response)?;
        for _ in 0..config.copies.max(1) {
            client
                .publish(format!("linkage.response.{program}"), body.clone().into())
                .await?;
        }
        client.flush().await?;
        tracing::info!(request_id = %inquiry.request_id, "answered");
    }
    Ok(())
}
