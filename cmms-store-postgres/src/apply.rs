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
use sqlx::PgConnection;

/// Audit and event drafts collected while applying, numbered after every other write.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    /// Audit drafts in order.
    pub audit: Vec<AuditDraft>,
    /// Event drafts in order.
    pub events: Vec<EventDraft>,
}

impl Drafts {
    /// Keeps an audit or event draft; other writes are not drafts and are ignored.
    pub(crate) fn push(&mut self, w: Write) {
        match w {
            Write::AppendAudit(d) => self.audit.push(d),
            Write::AppendEvent(d) => self.events.push(d),
            _ => {}
        }
    }
}

/// Applies one write of a commit for `org`.
pub(crate) async fn apply(
    c: &mut PgConnection,
    org: OrgId,
    w: Write,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    if w.owner_org().is_some_and(|o| o != org) {
        tracing::error!(%org, "refused a write whose record belongs to another organization");
        return Err(StoreError::backend("cross-tenant write refused"));
    }
    match w {
        Write::Insert(r) => record::insert(c, &*r).await,
        Write::Update(r) => record::update(c, &*r).await,
        Write::Delete { table, id, version } => record::delete(c, table, org, id, version).await,
        Write::DeleteChildren { table, parent } => {
            record::delete_children(c, table, org, parent).await
        }
        Write::AssertVersion { entity, id, version } => {
            record::assert_version(c, versioned_table(entity)?, org, id, version).await
        }
        Write::RevokeTokens { user, family, purpose, at } => {
            crate::auth::revoke_tokens(c, org, user, family, purpose, at).await
        }
        Write::StockDelta(d) => crate::stock::apply_delta(c, org, *d, drafts).await,
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
