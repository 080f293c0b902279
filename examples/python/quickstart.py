import cmms

with cmms.open("sqlite:///plant.db", migrate=True) as db:
    boot = db.orgs.bootstrap(name="Acme Plant", owner_name="Olivia", owner_email="olivia@acme.test")
    owner = db.actor(boot.org.id, boot.owner.id)
    site = db.sites.create(owner, name="North Plant", code="NP")
    pump = db.assets.create(owner, name="Cooling pump", code="P-101", site_id=site.id)

    wo = db.work_orders.create(owner, title="Replace pump seal", asset_id=pump.id,
                               priority="high", assignees=[boot.owner.id])
    for status in ("in_progress", "completed"):
        wo = db.work_orders.transition(owner, wo.id, status)

    open_work = db.work_orders.list(owner, status=["open", "assigned", "in_progress"])
    print(f"{wo.number} is {wo.status}; {len(open_work)} open work orders left")
    print("audit chain intact:", db.audit.verify(owner) is None)
