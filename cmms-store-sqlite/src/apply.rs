//! Applies one `Write` inside the commit transaction: records through the generic statements
//! of their description (`record`), token revocation (`auth`), and audit and event drafts,
//! which the commit numbers after every other write.

use crate::record;
use cmms_core::StoreError;
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::event::EventDraft;
use cmms_core::ids::OrgId;
use cmms_core::store::Write;
use cmms_core::store::record::versioned_table;
use rusqlite::Connection;

/// Audit and event drafts collected while applying, numbered after every other write.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    /// Audit drafts in order.
    pub audit: Vec<AuditDraft>,
    /// Event drafts in order.
    pub events: Vec<EventDraft>,
}

/// Applies one write of a commit for `org`.
pub(crate) fn apply(
    tx: &Connection,
    org: OrgId,
    w: Write,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    if w.owner_org().is_some_and(|o| o != org) {
        tracing::error!(%org, "refused a write whose record belongs to another organization");
        return Err(StoreError::backend("cross-tenant write refused"));
    }
    match w {
        Write::Insert(r) => record::insert(tx, &*r),
        Write::Update(r) => record::update(tx, &*r),
        Write::Delete { table, id, version } => record::delete(tx, table, org, id, version),
        Write::DeleteChildren { table, parent } => record::delete_children(tx, table, org, parent),
        Write::AssertVersion { entity, id, version } => {
            record::assert_version(tx, versioned_table(entity)?, org, id, version)
        }
        Write::RevokeTokens { user, family, purpose, at } => {
            crate::auth::revoke_tokens(tx, org, user, family, purpose, at)
        }
        Write::StockDelta(d) => crate::stock::apply_delta(tx, org, *d, drafts),
        Write::AppendAudit(d) => {
            drafts.audit.push(d);
            Ok(())
        }
        Write::AppendEvent(d) => {
            drafts.events.push(d);
            Ok(())
        }
    }
}
