//! The audit trail: every mutation appends an entry to a per-org hash chain. The store assigns
//! sequence numbers and links the chain inside the commit, using `chain_hash` from here, so
//! `verify_chain` can prove no entry was edited, removed or reordered.

use crate::domain::EntityRef;
use crate::ids::{OrgId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// An audit entry before the store numbers and links it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AuditDraft {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`None` = the system).
    pub actor_id: Option<UserId>,
    /// What (`work_order.create`, `work_order.transition`, ...).
    pub action: String,
    /// On what.
    pub entity: EntityRef,
    /// The record before (`None` on create).
    pub before: Option<Value>,
    /// The record after (`None` on delete).
    pub after: Option<Value>,
    /// Request id of the call, if any.
    pub request_id: Option<String>,
}

/// A committed audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Organization.
    pub org_id: OrgId,
    /// Position in the org's chain, from 1.
    pub seq: i64,
    /// The entry's content.
    #[serde(flatten)]
    pub draft: AuditDraft,
    /// Hash of the previous entry (`GENESIS_HASH` for the first).
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

/// The `prev_hash` of an org's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Writes JSON with object keys sorted, whatever map type serde_json was built with, so the
/// hash does not depend on how a database stored the document.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(child) = map.get(k) {
                    canonical(child, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of entry `seq` of `org` with content `draft`, chained to `prev_hash` (hex SHA-256).
pub fn chain_hash(org: OrgId, seq: i64, draft: &AuditDraft, prev_hash: &str) -> String {
    let mut text = String::with_capacity(256);
    let opt = |v: &Option<Value>, out: &mut String| match v {
        Some(v) => canonical(v, out),
        None => out.push_str("null"),
    };
    text.push_str(prev_hash);
    text.push('|');
    text.push_str(&org.to_string());
    text.push('|');
    text.push_str(&seq.to_string());
    text.push('|');
    text.push_str(&draft.at.timestamp_micros().to_string());
    text.push('|');
    text.push_str(&draft.actor_id.map(|a| a.to_string()).unwrap_or_default());
    text.push('|');
    text.push_str(&draft.action);
    text.push('|');
    text.push_str(draft.entity.kind.as_str());
    text.push('|');
    text.push_str(&draft.entity.id.to_string());
    text.push('|');
    opt(&draft.before, &mut text);
    text.push('|');
    opt(&draft.after, &mut text);
    text.push('|');
    text.push_str(draft.request_id.as_deref().unwrap_or(""));
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The first link of a chain that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BrokenLink {
    /// Sequence number of the bad entry.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// Checks a chain entry by entry, in order; feed it pages of entries as they are read.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    org: OrgId,
    prev_hash: String,
    next_seq: i64,
}

impl ChainVerifier {
    /// A verifier expecting entry 1 of `org`.
    pub fn new(org: OrgId) -> Self {
        Self { org, prev_hash: GENESIS_HASH.to_string(), next_seq: 1 }
    }

    /// The sequence number the next entry must have.
    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), BrokenLink> {
        let broken = |reason: &str| BrokenLink { seq: e.seq, reason: reason.to_string() };
        if e.seq != self.next_seq {
            return Err(BrokenLink {
                seq: self.next_seq,
                reason: format!("entry {} is missing (found {} next)", self.next_seq, e.seq),
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(broken("prev_hash does not match the previous entry's hash"));
        }
        if chain_hash(self.org, e.seq, &e.draft, &e.prev_hash) != e.hash {
            return Err(broken("content does not match its hash (the entry was altered)"));
        }
        self.prev_hash = e.hash.clone();
        self.next_seq += 1;
        Ok(())
    }

    /// Checks that the chain ends where the store's head says it does.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), BrokenLink> {
        if head_seq != self.next_seq - 1 || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(BrokenLink {
                seq: self.next_seq,
                reason: format!(
                    "the chain head says {head_seq} entries, found {}",
                    self.next_seq - 1
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntityKind;

    fn chain(org: OrgId, n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let draft = AuditDraft {
                    at: chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000 + seq)
                        .unwrap(),
                    actor_id: None,
                    action: "test".into(),
                    entity: EntityRef::new(EntityKind::Asset, uuid::Uuid::now_v7()),
                    before: None,
                    after: Some(serde_json::json!({"b": 1, "a": [seq]})),
                    request_id: None,
                };
                let hash = chain_hash(org, seq, &draft, &prev);
                let e = AuditEntry {
                    org_id: org,
                    seq,
                    draft,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(org: OrgId, entries: &[AuditEntry]) -> Result<(), BrokenLink> {
        let mut v = ChainVerifier::new(org);
        entries.iter().try_for_each(|e| v.check(e))
    }

    #[test]
    fn intact_chains_verify_and_edits_are_found() {
        let org = OrgId::new();
        let entries = chain(org, 5);
        assert_eq!(verify(org, &entries), Ok(()));
        let mut edited = entries.clone();
        edited[2].draft.action = "other".into();
        assert_eq!(verify(org, &edited).unwrap_err().seq, 3);
        let mut dropped = entries.clone();
        dropped.remove(1);
        assert_eq!(verify(org, &dropped).unwrap_err().seq, 2);
        assert!(verify(OrgId::new(), &entries).is_err(), "a chain is bound to its org");
        let mut v = ChainVerifier::new(org);
        entries.iter().for_each(|e| v.check(e).unwrap());
        assert!(v.finish(5, &entries[4].hash).is_ok());
        assert!(v.finish(6, "x").is_err(), "a truncated tail is found through the head");
    }
}
