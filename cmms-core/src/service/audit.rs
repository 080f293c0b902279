//! Audit use cases: read the trail and verify its hash chain.

use super::Cmms;
use crate::actor::Actor;
use crate::domain::audit::{AuditEntry, BrokenLink, ChainVerifier};
use crate::error::Result;
use crate::rbac::{self, Permission, Resource};
use crate::store::{MAX_LIMIT, check_limit};

/// Entries read per round trip while verifying: the largest page a list hands out.
const VERIFY_PAGE: u32 = MAX_LIMIT;

impl Cmms {
    /// Audit entries of the actor's organization with `seq > after`, oldest first: at most
    /// `limit`, which is bounded like every list's (`None`: [`crate::store::DEFAULT_LIMIT`], at
    /// most [`MAX_LIMIT`]).
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        after: i64,
        limit: Option<u32>,
    ) -> Result<Vec<AuditEntry>> {
        rbac::authorize(actor, Permission::AuditRead, &Resource::ORG)?;
        let limit = check_limit(limit)?;
        Ok(self.store.audit_entries(actor.org(), after, limit).await?)
    }

    /// Walks the organization's whole audit chain and returns the first broken link, or `None`
    /// when every entry is intact, in order and complete up to the chain head.
    pub async fn verify_audit_chain(&self, actor: &Actor) -> Result<Option<BrokenLink>> {
        rbac::authorize(actor, Permission::AuditRead, &Resource::ORG)?;
        let org = actor.org();
        // Read the head first: entries appended while we verify lie beyond it and are ignored.
        let (head_seq, head_hash) = self.store.audit_head(org).await?;
        let mut verifier = ChainVerifier::new(org);
        while verifier.next_seq() <= head_seq {
            let page = self.store.audit_entries(org, verifier.next_seq() - 1, VERIFY_PAGE).await?;
            let mut progressed = false;
            for (i, entry) in page.iter().enumerate() {
                // Entries past the head were appended after we started; but the first entry of a
                // page is always checked, so a gap is reported instead of looping.
                if i > 0 && entry.seq > head_seq {
                    break;
                }
                if let Err(broken) = verifier.check(entry) {
                    return Ok(Some(broken));
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        Ok(verifier.finish(head_seq, &head_hash).err())
    }
}
