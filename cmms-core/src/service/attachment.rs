//! Attachment use cases: who may attach, list, read and remove files on work orders, requests,
//! assets, checklist items and parts, and the metadata commits around an upload. The bytes go
//! through an object store outside core (`cmms-files`), in three steps: [`Cmms::begin_attachment`]
//! (authorize, name, limit), [`Cmms::check_attachment_type`] on the first bytes, then
//! [`Cmms::finish_attachment`] once the content is stored — so a refused upload stores nothing.

use super::{Cmms, Stamp, json, require_held};
use crate::actor::Actor;
use crate::domain::checklist::ChecklistItem;
use crate::domain::event::{EventAudience, EventKind};
use crate::domain::files::{
    self, AttachedFile, FileContent, FileRules, FileUsage, check_attachable, check_name,
    check_size, upload_limit,
};
use crate::domain::{EntityKind, EntityRef};
use crate::error::{CmmsError, Result};
use crate::ids::{AttachmentId, FileContentId, RequestId};
use crate::rbac::{self, Permission, Resource};
use crate::store::record::{ATTACHMENTS, RecordReadsExt, Select};
use crate::store::{Changeset, Write};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How often a metadata commit is retried when a concurrent upload or removal moved the
/// organization's usage or a shared content's reference count first.
const RETRIES: usize = 3;

/// An upload that may go ahead: where its bytes must go and how many it may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentUpload {
    /// What the file is attached to.
    pub target: EntityRef,
    /// The checked file name.
    pub name: String,
    /// The id the stored content will have.
    pub content_id: FileContentId,
    /// The object-store key to write the bytes to (new for every upload).
    pub content_key: String,
    /// Most bytes the content may have: the per-file limit or what the organization has left.
    pub max_bytes: u64,
}

/// A removed attachment and, when it was the last row pointing at its content, the content's
/// object-store key, which the caller deletes after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedAttachment {
    /// The row that was removed.
    pub attachment: AttachedFile,
    /// The key of content nothing references any more.
    pub orphaned_key: Option<String>,
}

/// What the entity a file hangs on allows: editing it (attach, remove) and who hears of it.
struct Owner {
    may_edit: Result<()>,
    audience: EventAudience,
}

fn editable(actor: &Actor, permission: Permission, resource: &Resource<'_>) -> Result<()> {
    rbac::authorize(actor, permission, resource)
}

impl Cmms {
    /// Uses these attachment limits and this allow-list instead of the defaults.
    pub fn with_file_rules(mut self, rules: FileRules) -> Self {
        self.files = Arc::new(rules);
        self
    }

    /// The attachment limits and allow-list.
    pub fn file_rules(&self) -> &FileRules {
        &self.files
    }

    /// Loads the entity a file hangs on, as the actor may read it (`NotFound` otherwise), and
    /// what the actor may do with its files: whoever may edit the entity may attach and remove.
    async fn attachment_owner(&self, actor: &Actor, target: EntityRef) -> Result<Owner> {
        check_attachable(target.kind)?;
        let id = target.id;
        let owner = match target.kind {
            EntityKind::WorkOrder => {
                let w = self.get_work_order(actor, id.into()).await?;
                Owner {
                    may_edit: editable(actor, Permission::WorkOrderUpdate, &w.resource()),
                    audience: super::work_order::audience(&w, Permission::WorkOrderRead),
                }
            }
            EntityKind::ChecklistItem => {
                let item = self
                    .store
                    .get::<ChecklistItem>(actor.org(), id)
                    .await?
                    .ok_or_else(|| CmmsError::not_found("checklist_item", id))?;
                let w = self.get_work_order(actor, item.work_order_id).await?;
                // Photos of a checklist step are taken by whoever records its result.
                Owner {
                    may_edit: editable(actor, Permission::WorkOrderLogWork, &w.resource()),
                    audience: super::work_order::audience(&w, Permission::WorkOrderRead),
                }
            }
            EntityKind::Request => {
                let r = self.get_request(actor, RequestId::from(id)).await?;
                Owner {
                    may_edit: editable(actor, Permission::RequestUpdate, &r.resource()),
                    audience: super::request::audience(&r),
                }
            }
            EntityKind::Asset => {
                let a = self.get_asset(actor, id.into()).await?;
                let at = Resource::at_site(a.site_id);
                Owner {
                    may_edit: editable(actor, Permission::AssetWrite, &at),
                    audience: EventAudience {
                        permission: Some(Permission::AssetRead),
                        site_id: Some(a.site_id),
                        ..EventAudience::default()
                    },
                }
            }
            _ => {
                self.get_part(actor, id.into()).await?;
                Owner {
                    may_edit: require_held(actor, Permission::InventoryManage),
                    audience: EventAudience {
                        permission: Some(Permission::InventoryRead),
                        ..EventAudience::default()
                    },
                }
            }
        };
        Ok(owner)
    }

    /// Starts an upload to `target`: checks that the actor may edit it and the file name, and
    /// how many bytes the content may have (`TooLarge` when the organization's storage is full).
    ///
    /// ```
    /// # async fn demo(cmms: cmms_core::Cmms, actor: cmms_core::Actor, wo: cmms_core::ids::WorkOrderId) -> cmms_core::Result<()> {
    /// use cmms_core::domain::{EntityKind, EntityRef};
    /// let up = cmms.begin_attachment(&actor, EntityRef::new(EntityKind::WorkOrder, wo), "pump.png").await?;
    /// let head = b"\x89PNG\r\n\x1a\n";
    /// let ty = cmms.check_attachment_type(head, None)?; // before a byte is stored
    /// // ... store the bytes at up.content_key, counting and hashing them ...
    /// let sha256 = "0".repeat(64);
    /// let file = cmms.finish_attachment(&actor, &up, &ty, head.len() as u64, &sha256).await?;
    /// # Ok(()) }
    /// ```
    pub async fn begin_attachment(
        &self,
        actor: &Actor,
        target: EntityRef,
        name: &str,
    ) -> Result<AttachmentUpload> {
        self.attachment_owner(actor, target).await?.may_edit?;
        let name = check_name(name)?;
        let usage = self.file_usage(actor).await?;
        let max_bytes = upload_limit(&self.files, &usage)?;
        let content_id = FileContentId::new();
        let content_key = files::content_key(actor.org(), content_id);
        Ok(AttachmentUpload { target, name, content_id, content_key, max_bytes })
    }

    /// The content type of an upload, sniffed from its first bytes (up to
    /// [`files::SNIFF_BYTES`]), if the allow-list has it; `UnsupportedType` otherwise.
    pub fn check_attachment_type(&self, head: &[u8], declared: Option<&str>) -> Result<String> {
        files::check_type(&self.files, head, declared)
    }

    /// Records a stored upload: the metadata row, its content (one reference) and the
    /// organization's usage, in one commit. `TooLarge` when the limits no longer allow it
    /// (another upload took the last bytes); the caller then deletes the stored bytes.
    pub async fn finish_attachment(
        &self,
        actor: &Actor,
        upload: &AttachmentUpload,
        content_type: &str,
        size_bytes: u64,
        sha256: &str,
    ) -> Result<AttachedFile> {
        let owner = self.attachment_owner(actor, upload.target).await?;
        owner.may_edit?;
        if !self.files.allowed_types.iter().any(|t| t.eq_ignore_ascii_case(content_type)) {
            return Err(CmmsError::UnsupportedType { content_type: content_type.to_string() });
        }
        if sha256.len() != 64 || !sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(CmmsError::invalid("sha256", "must be 64 lowercase hex digits"));
        }
        let mut attempt = 0;
        loop {
            let usage = self.file_usage(actor).await?;
            check_size(&self.files, &usage, size_bytes)?;
            let now = self.now();
            let content = FileContent {
                id: upload.content_id,
                org_id: actor.org(),
                content_key: upload.content_key.clone(),
                size_bytes,
                sha256: sha256.to_string(),
                refs: 1,
                created_at: now,
                version: 1,
            };
            let file = AttachedFile {
                id: AttachmentId::new(),
                org_id: actor.org(),
                entity_type: upload.target.kind,
                entity_id: upload.target.id,
                name: upload.name.clone(),
                content_type: content_type.to_string(),
                size_bytes,
                sha256: sha256.to_string(),
                content_id: upload.content_id,
                content_key: upload.content_key.clone(),
                uploaded_by: actor.user_id(),
                created_at: now,
            };
            let st = Stamp::new(actor, now);
            let mut cs = Changeset::new();
            cs.push(usage_write(&usage, usage.moved(size_bytes, 1)));
            cs.push(Write::insert(content));
            cs.push(Write::insert(file.clone()));
            cs.extend(added(&st, &file, owner.audience.clone()));
            match self.commit(actor, cs).await {
                Err(CmmsError::Conflict { .. }) if attempt < RETRIES => attempt += 1,
                other => return other.map(|_| file),
            }
        }
    }

    /// The target naming checklist item `item` of work order `wo` (`NotFound` when the item is
    /// not on that work order), for callers that address items under their work order.
    pub async fn checklist_item_target(
        &self,
        actor: &Actor,
        wo: crate::ids::WorkOrderId,
        item: crate::ids::ChecklistItemId,
    ) -> Result<EntityRef> {
        let found = self.store.get::<ChecklistItem>(actor.org(), item).await?;
        match found {
            Some(i) if i.work_order_id == wo => Ok(EntityRef::new(EntityKind::ChecklistItem, item)),
            _ => Err(CmmsError::not_found("checklist_item", item)),
        }
    }

    /// The files attached to `target`, oldest first (whoever may read the entity).
    pub async fn list_attachments(
        &self,
        actor: &Actor,
        target: EntityRef,
    ) -> Result<Vec<AttachedFile>> {
        self.attachment_owner(actor, target).await?;
        self.attachments_of(actor, target).await
    }

    async fn attachments_of(&self, actor: &Actor, target: EntityRef) -> Result<Vec<AttachedFile>> {
        let q = Select::new(&ATTACHMENTS).eq("entity_id", target.id);
        let rows = self.store.list::<AttachedFile>(actor.org(), q).await?;
        Ok(rows.into_iter().filter(|f| f.entity_type == target.kind).collect())
    }

    /// One attachment, if the actor may read the entity it hangs on (`NotFound` otherwise, as
    /// for another organization's id).
    pub async fn get_attachment(&self, actor: &Actor, id: AttachmentId) -> Result<AttachedFile> {
        Ok(self.load_attachment(actor, id).await?.0)
    }

    async fn load_attachment(
        &self,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<(AttachedFile, Owner)> {
        let hidden = || CmmsError::not_found("attachment", id);
        let file = self.store.get::<AttachedFile>(actor.org(), id).await?.ok_or_else(hidden)?;
        let target = EntityRef::new(file.entity_type, file.entity_id);
        match self.attachment_owner(actor, target).await {
            Ok(owner) => Ok((file, owner)),
            Err(CmmsError::NotFound { .. } | CmmsError::Forbidden { .. }) => Err(hidden()),
            Err(e) => Err(e),
        }
    }

    /// Removes an attachment (whoever may edit its entity). When no other row points at its
    /// content any more, the content's row goes too and its key is returned for the caller to
    /// delete from the object store.
    pub async fn delete_attachment(
        &self,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<RemovedAttachment> {
        let mut attempt = 0;
        loop {
            let (file, owner) = self.load_attachment(actor, id).await?;
            owner.may_edit?;
            let st = Stamp::new(actor, self.now());
            let mut cs = Changeset::new();
            cs.push(Write::delete::<AttachedFile>(file.id));
            let content = self.store.get::<FileContent>(actor.org(), file.content_id).await?;
            let mut orphaned_key = None;
            if let Some(c) = content {
                if c.refs > 1 {
                    cs.push(Write::update(FileContent {
                        refs: c.refs - 1,
                        version: c.version + 1,
                        ..c
                    }));
                } else {
                    let usage = self.file_usage(actor).await?;
                    cs.push(usage_write(&usage, usage.moved(c.size_bytes, -1)));
                    cs.push(Write::delete_versioned::<FileContent>(c.id, c.version));
                    orphaned_key = Some(c.content_key);
                }
            }
            let entity = EntityRef::new(EntityKind::Attachment, file.id);
            cs.push(st.audit("attachment.remove", entity, Some(json(&file)), None));
            cs.push(st.event(
                EventKind::AttachmentRemoved,
                EntityRef::new(file.entity_type, file.entity_id),
                owner.audience,
                json(&file),
            ));
            match self.commit(actor, cs).await {
                Err(CmmsError::Conflict { .. }) if attempt < RETRIES => attempt += 1,
                other => {
                    return other.map(|_| RemovedAttachment { attachment: file, orphaned_key });
                }
            }
        }
    }

    /// The writes that carry a request's files over to the work order it becomes: new rows
    /// pointing at the same contents (nothing copied), one more reference on each content.
    pub(crate) async fn carry_attachments(
        &self,
        actor: &Actor,
        st: &Stamp,
        from: RequestId,
        to: &crate::domain::work_order::WorkOrder,
    ) -> Result<Vec<Write>> {
        let rows = self.attachments_of(actor, EntityRef::new(EntityKind::Request, from)).await?;
        let mut per_content: BTreeMap<FileContentId, i64> = BTreeMap::new();
        let mut writes = Vec::new();
        let audience = super::work_order::audience(to, Permission::WorkOrderRead);
        for row in rows {
            *per_content.entry(row.content_id).or_default() += 1;
            let copy = AttachedFile {
                id: AttachmentId::new(),
                entity_type: EntityKind::WorkOrder,
                entity_id: to.id.into(),
                created_at: st.at,
                ..row
            };
            writes.push(Write::insert(copy.clone()));
            writes.extend(added(st, &copy, audience.clone()));
        }
        for (content, n) in per_content {
            if let Some(c) = self.store.get::<FileContent>(actor.org(), content).await? {
                writes.push(Write::update(FileContent {
                    refs: c.refs + n,
                    version: c.version + 1,
                    ..c
                }));
            }
        }
        Ok(writes)
    }

    /// Whether a work order or any of its checklist items carries files: such work is not
    /// deleted (its files' content would be left without rows), it is cancelled or its files
    /// are removed first.
    pub(crate) async fn work_has_attachments(
        &self,
        actor: &Actor,
        wo: crate::ids::WorkOrderId,
    ) -> Result<bool> {
        let mut owners = vec![EntityRef::new(EntityKind::WorkOrder, wo)];
        for item in self.store.checklist(actor.org(), wo).await? {
            owners.push(EntityRef::new(EntityKind::ChecklistItem, item.id));
        }
        for owner in owners {
            if !self.attachments_of(actor, owner).await?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn file_usage(&self, actor: &Actor) -> Result<FileUsage> {
        let org = actor.org();
        Ok(self.store.get::<FileUsage>(org, org).await?.unwrap_or_else(|| FileUsage::empty(org)))
    }
}

/// The usage row's write: the first upload of an organization inserts it (a racing first
/// upload then fails on the key and retries), later ones update it by version.
fn usage_write(before: &FileUsage, after: FileUsage) -> Write {
    if before.version == 0 { Write::insert(after) } else { Write::update(after) }
}

/// The audit entry and event of a new row.
fn added(st: &Stamp, file: &AttachedFile, audience: EventAudience) -> [Write; 2] {
    let entity = EntityRef::new(EntityKind::Attachment, file.id);
    [
        st.audit("attachment.add", entity, None, Some(json(file))),
        st.event(
            EventKind::AttachmentAdded,
            EntityRef::new(file.entity_type, file.entity_id),
            audience,
            json(file),
        ),
    ]
}
