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
/// hash does not depend on how a database stored the document. Keys and scalars are written
/// straight into `out` (no string per value): this runs once per audit entry on the store's
/// commit path.
fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, child)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(k, out);
                out.push(b':');
                canonical(child, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

/// serde_json's own text for a string or scalar. Writing these to a `Vec` cannot fail (no I/O,
/// no non-string keys, no NaN in a `Value`); `null` keeps the output well-formed if it ever did.
fn scalar<T: Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// The hash of entry `seq` of `org` with content `draft`, chained to `prev_hash` (hex SHA-256).
pub fn chain_hash(org: OrgId, seq: i64, draft: &AuditDraft, prev_hash: &str) -> String {
    let mut text: Vec<u8> = Vec::with_capacity(1024);
    let opt = |v: &Option<Value>, out: &mut Vec<u8>| match v {
        Some(v) => canonical(v, out),
        None => out.extend_from_slice(b"null"),
    };
    let actor = draft.actor_id.map(|a| a.to_string()).unwrap_or_default();
    let head = format!(
        "{prev_hash}|{org}|{seq}|{}|{actor}|{}|{}|{}|",
        draft.at.timestamp_micros(),
        draft.action,
        draft.entity.kind.as_str(),
        draft.entity.id,
    );
    text.extend_from_slice(head.as_bytes());
    opt(&draft.before, &mut text);
    text.push(b'|');
    opt(&draft.after, &mut text);
    text.push(b'|');
    text.extend_from_slice(draft.request_id.as_deref().unwrap_or("").as_bytes());
    hex::encode(Sha256::digest(&text))
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

    #[test]
    fn the_hash_of_a_known_entry_never_changes() {
        // Stored chains must keep verifying: any change to the hashed text is a format break.
        let org = OrgId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
        let draft = AuditDraft {
            at: chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            actor_id: Some(UserId(uuid::Uuid::from_u128(7))),
            action: "work_order.update".into(),
            entity: EntityRef::new(EntityKind::WorkOrder, uuid::Uuid::from_u128(9)),
            before: Some(
                serde_json::json!({"z": null, "title": "Pump \"A\"\n", "n": [1, 2.5, -3]}),
            ),
            after: Some(serde_json::json!({
                "title": "Grüße ✓ \u{1}", "b": true, "a": {"y": 1e300, "x": [], "": {}}
            })),
            request_id: Some("req-1".into()),
        };
        assert_eq!(
            chain_hash(org, 42, &draft, GENESIS_HASH),
            "d97ec6f44a96a2ecaef46aa53499270ba8237c35151431837078ebe452b9520d"
        );
    }

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
