//! Vendors and the parts they supply (their numbers, prices and which vendor is preferred).

use super::{audience, entity};
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::event::EventKind;
use crate::domain::inventory::{Money, NewVendor, NewVendorPart, Vendor, VendorPart};
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{VendorId, VendorPartId};
use crate::rbac::Permission;
use crate::service::{Cmms, Stamp, check_version, json, require_held};
use crate::store::record::{Record, RecordReadsExt, Select};
use crate::store::{Changeset, Page, Write};

impl Cmms {
    /// Adds a vendor (`inventory.manage`).
    pub async fn create_vendor(&self, actor: &Actor, input: NewVendor) -> Result<Vendor> {
        require_held(actor, Permission::InventoryManage)?;
        let v = Vendor::build(actor.org(), None, input, self.now())?;
        self.commit_vendor(actor, None, &v).await?;
        Ok(v)
    }

    /// Replaces a vendor's details (every field of `input`).
    pub async fn update_vendor(
        &self,
        actor: &Actor,
        id: VendorId,
        input: NewVendor,
        expected_version: Option<i64>,
    ) -> Result<Vendor> {
        require_held(actor, Permission::InventoryManage)?;
        let before = self.get_vendor(actor, id).await?;
        check_version("vendor", before.version, expected_version)?;
        let after = Vendor::build(actor.org(), Some(&before), input, self.now())?;
        self.commit_vendor(actor, Some(&before), &after).await?;
        Ok(after)
    }

    async fn commit_vendor(
        &self,
        actor: &Actor,
        before: Option<&Vendor>,
        v: &Vendor,
    ) -> Result<()> {
        let st = Stamp::new(actor, v.updated_at);
        let e = entity(EntityKind::Vendor, v.id);
        let mut cs = Changeset::new();
        cs.push(if before.is_some() { Write::update(v.clone()) } else { Write::insert(v.clone()) });
        cs.push(st.audit("vendor.save", e, before.map(json), Some(json(v))));
        cs.push(st.event(EventKind::VendorChanged, e, audience(None), json(v)));
        self.commit(actor, cs).await.map(drop)
    }

    /// One vendor (`inventory.read`).
    pub async fn get_vendor(&self, actor: &Actor, id: VendorId) -> Result<Vendor> {
        require_held(actor, Permission::InventoryRead)?;
        self.store
            .get::<Vendor>(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("vendor", id))
    }

    /// A page of vendors, in creation order.
    pub async fn list_vendors(
        &self,
        actor: &Actor,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Vendor>> {
        require_held(actor, Permission::InventoryRead)?;
        self.page_by_id(
            actor,
            Select::new(Vendor::TABLE),
            limit,
            cursor,
            |v: &Vendor| v.id.uuid(),
            |_| true,
        )
        .await
    }

    /// Says that a vendor supplies a part, with its number and price; saying it again replaces
    /// it. A preferred vendor of a part makes any other vendor of that part not preferred.
    pub async fn set_vendor_part(
        &self,
        actor: &Actor,
        vendor: VendorId,
        input: NewVendorPart,
    ) -> Result<VendorPart> {
        require_held(actor, Permission::InventoryManage)?;
        self.get_vendor(actor, vendor).await?;
        let part = self.load_part(actor, input.part_id).await?;
        if input.price.is_some_and(Money::is_negative) {
            return Err(CmmsError::invalid("price", "must not be negative"));
        }
        let mut p = Problems::new();
        let number = crate::validate::opt_text(
            &mut p,
            "vendor_part_number",
            input.vendor_part_number.as_deref(),
            100,
        );
        p.finish()?;
        let now = self.now();
        let of_part = self
            .store
            .list::<VendorPart>(
                actor.org(),
                Select::new(VendorPart::TABLE).eq("part_id", part.id.uuid()),
            )
            .await?;
        let existing = of_part.iter().find(|vp| vp.vendor_id == vendor);
        let vp = VendorPart {
            id: existing.map_or_else(VendorPartId::new, |e| e.id),
            org_id: actor.org(),
            vendor_id: vendor,
            part_id: part.id,
            vendor_part_number: number,
            price: input.price,
            preferred: input.preferred,
            updated_at: now,
            version: existing.map_or(1, |e| e.version + 1),
        };
        let st = Stamp::new(actor, now);
        let mut cs = Changeset::new();
        cs.push(if existing.is_some() {
            Write::update(vp.clone())
        } else {
            Write::insert(vp.clone())
        });
        if vp.preferred {
            for other in of_part.iter().filter(|o| o.vendor_id != vendor && o.preferred) {
                let mut o = other.clone();
                o.preferred = false;
                o.updated_at = now;
                o.version += 1;
                cs.push(Write::update(o));
            }
        }
        cs.push(st.audit(
            "vendor.part",
            entity(EntityKind::Vendor, vendor),
            existing.map(json),
            Some(json(&vp)),
        ));
        self.commit(actor, cs).await?;
        Ok(vp)
    }

    /// The parts a vendor supplies.
    pub async fn vendor_parts(&self, actor: &Actor, vendor: VendorId) -> Result<Vec<VendorPart>> {
        self.get_vendor(actor, vendor).await?;
        let q = Select::new(VendorPart::TABLE).eq("vendor_id", vendor.uuid());
        Ok(self.store.list::<VendorPart>(actor.org(), q).await?)
    }
}
