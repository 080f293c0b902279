# mypy: disable-error-code="no-any-return"
"""Inventory and purchasing: ``db.parts``, ``db.stock_locations``, ``db.stock``, ``db.vendors``
and ``db.purchase_orders``. Quantities and money go in as ``Decimal``, ``int``, ``str`` or
``float`` (read by its shortest form) and come back as ``Decimal``."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ._base import PAGE, Actor, Id, _Group, _id, _ids
from ._convert import UNSET, Patch, Unset, amount, amounts
from .models import (
    LowStockItem,
    Page,
    Part,
    PurchaseOrder,
    PurchaseOrderDetail,
    Stock,
    StockLocation,
    StockMovement,
    SuggestedOrder,
    Vendor,
    VendorPart,
)
from .types import Amount, PoLineInput, PoStatus, ReceiptLineInput, StockLevelsInput, StockStatus, check_dict, check_items

__all__ = ["Parts", "StockLocations", "StockRows", "Vendors", "PurchaseOrders"]

_LEVELS = ("min", "max", "reorder_point", "reorder_quantity")


def _levels(levels: Any, name: str = "levels") -> Any:
    """Stock levels as the core reads them (``None``: not given)."""
    if levels is None or levels is UNSET:
        return levels
    return amounts(check_dict(name, levels, "levels"), name, _LEVELS)


def _lines(lines: Any, name: str = "lines") -> List[Dict[str, Any]]:
    checked = check_items(name, lines)
    for line in checked:
        for key in ("part_id", "location_id"):
            if key in line:
                line[key] = _id(line[key], key)
    return amounts(checked, name, ("quantity", "unit_price"))


def _clean(values: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class Parts(_Group):
    """The parts catalogue."""

    def create(
        self, actor: Actor, *, part_number: str, name: str, description: Optional[str] = None,
        unit: Optional[str] = None, category: Optional[str] = None, manufacturer: Optional[str] = None,
        manufacturer_part_number: Optional[str] = None, barcode: Optional[str] = None,
        unit_cost: Optional[Amount] = None, levels: Optional[StockLevelsInput] = None,
        lead_time_days: Optional[int] = None, asset_ids: Sequence[Id] = (),
        custom_fields: Optional[Dict[str, Any]] = None,
    ) -> Part:
        """Adds a part (``inventory.manage``). ``part_number`` is unique in the organization;
        ``unit`` defaults to ``"each"``; ``levels`` are the default stock levels of every
        location (``{"reorder_point": 4, "reorder_quantity": 10}``); ``asset_ids`` are the assets
        it fits. Missing values from pandas (``NaN``) count as not given, so
        ``db.parts.create(owner, **row)`` takes a ``DataFrame.to_dict("records")`` row.

        >>> seal = db.parts.create(owner, part_number="SEAL-25", name="Mechanical seal 25 mm",
        ...                        unit_cost="42.50", levels={"reorder_point": 2, "reorder_quantity": 5})  # doctest: +SKIP
        """
        return self._call(
            actor, "parts.create", Part, part_number=part_number, name=name, description=description, unit=unit,
            category=category, manufacturer=manufacturer, manufacturer_part_number=manufacturer_part_number,
            barcode=barcode, unit_cost=amount(unit_cost, "unit_cost"), levels=_levels(levels) or UNSET,
            lead_time_days=lead_time_days, asset_ids=_ids(asset_ids, "asset_ids"), custom_fields=custom_fields,
        )

    def get(self, actor: Actor, id: Id) -> Part:
        """The part."""
        return self._call(actor, "parts.get", Part, id=_id(id))

    def find(self, actor: Actor, part_number: str) -> Optional[Part]:
        """The part with this part number, or ``None``."""
        return self._call(actor, "parts.find", Optional[Part], part_number=part_number)

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, part_number: Patch[str] = UNSET,
        name: Patch[str] = UNSET, description: Patch[Optional[str]] = UNSET, unit: Patch[str] = UNSET,
        category: Patch[Optional[str]] = UNSET, manufacturer: Patch[Optional[str]] = UNSET,
        manufacturer_part_number: Patch[Optional[str]] = UNSET, barcode: Patch[Optional[str]] = UNSET,
        unit_cost: Patch[Optional[Amount]] = UNSET, levels: Patch[StockLevelsInput] = UNSET,
        lead_time_days: Patch[Optional[int]] = UNSET, active: Patch[bool] = UNSET,
        asset_ids: Patch[Sequence[Id]] = UNSET, custom_fields: Patch[Dict[str, Any]] = UNSET,
    ) -> Part:
        """Changes the given fields (``None`` clears an optional one; ``levels`` and
        ``asset_ids`` are replaced whole; ``active=False`` retires the part)."""
        return self._call(
            actor, "parts.update", Part, id=_id(id), expected_version=expected_version, part_number=part_number,
            name=name, description=description, unit=unit, category=category, manufacturer=manufacturer,
            manufacturer_part_number=manufacturer_part_number, barcode=barcode,
            unit_cost=unit_cost if unit_cost is UNSET else amount(unit_cost, "unit_cost"),
            levels=_levels(levels), lead_time_days=lead_time_days, active=active,
            asset_ids=asset_ids if isinstance(asset_ids, Unset) else _ids(asset_ids, "asset_ids"),
            custom_fields=custom_fields,
        )

    def list(
        self, actor: Actor, *, category: Optional[str] = None, active: Optional[bool] = None,
        asset: Optional[Id] = None, barcode: Optional[str] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Part]:
        """One page of parts: of a ``category``, ``active`` or not, that fit an ``asset``
        ("spares for this pump"), or with a ``barcode``."""
        return self._page(
            actor, "parts.list", Part, **_clean(dict(category=category, active=active, asset=_id(asset, "asset"),
                                                      barcode=barcode, limit=limit, cursor=cursor)),
        )

    def iter_all(
        self, actor: Actor, *, category: Optional[str] = None, active: Optional[bool] = None,
        asset: Optional[Id] = None, barcode: Optional[str] = None, limit: int = PAGE,
    ) -> Iterator[Part]:
        """Every matching part, page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(
            actor, category=category, active=active, asset=asset, barcode=barcode, limit=limit, cursor=c,
        ))


class StockLocations(_Group):
    """Storerooms (one level under a site) and bins in them."""

    def create(
        self, actor: Actor, *, code: str, name: str, site_id: Optional[Id] = None, parent_id: Optional[Id] = None,
    ) -> StockLocation:
        """A storeroom at ``site_id``, or a bin in the storeroom ``parent_id`` (``code`` is
        unique among the site's locations).

        >>> store = db.stock_locations.create(owner, site_id=site.id, code="MAIN", name="Main store")  # doctest: +SKIP
        """
        return self._call(
            actor, "stock_locations.create", StockLocation, code=code, name=name,
            site_id=_id(site_id, "site_id"), parent_id=_id(parent_id, "parent_id"),
        )

    def get(self, actor: Actor, id: Id) -> StockLocation:
        """The stock location."""
        return self._call(actor, "stock_locations.get", StockLocation, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, code: Patch[str] = UNSET,
        name: Patch[str] = UNSET, active: Patch[bool] = UNSET,
    ) -> StockLocation:
        """Renames a location, changes its code or (de)activates it."""
        return self._call(
            actor, "stock_locations.update", StockLocation, id=_id(id), expected_version=expected_version,
            code=code, name=name, active=active,
        )

    def list(
        self, actor: Actor, *, site: Optional[Id] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[StockLocation]:
        """One page of the stock locations the actor may see (of one ``site`` or all)."""
        return self._page(
            actor, "stock_locations.list", StockLocation,
            **_clean(dict(site=_id(site, "site"), limit=limit, cursor=cursor)),
        )

    def iter_all(self, actor: Actor, *, site: Optional[Id] = None, limit: int = PAGE) -> Iterator[StockLocation]:
        """Every stock location the actor may see, page by page."""
        return self._walk(lambda c: self.list(actor, site=site, limit=limit, cursor=c))


class StockRows(_Group):
    """Stock per part and location, its movements (receive, adjust, count, transfer) and the
    ledger. Parts for work orders move through :meth:`cmms.api.WorkOrders.change_parts`,
    purchase deliveries through :meth:`PurchaseOrders.receive`."""

    def receive(
        self, actor: Actor, *, part_id: Id, location_id: Id, quantity: Amount, unit_cost: Optional[Amount] = None,
        reason: Optional[str] = None,
    ) -> StockMovement:
        """Receives stock outside a purchase order (an opening balance, a delivery without an
        order) at ``unit_cost`` (default: the part's unit cost, else the current average); moves
        the average cost.

        >>> db.stock.receive(owner, part_id=seal.id, location_id=store.id, quantity=10, unit_cost="42.50")  # doctest: +SKIP
        """
        return self._move("stock.receive", actor, part_id, location_id, quantity, unit_cost, reason)

    def adjust(
        self, actor: Actor, *, part_id: Id, location_id: Id, quantity: Amount, reason: str,
    ) -> StockMovement:
        """Changes stock by ``quantity`` (negative takes it out: damaged, lost), with a reason."""
        return self._move("stock.adjust", actor, part_id, location_id, quantity, None, reason)

    def count(
        self, actor: Actor, *, part_id: Id, location_id: Id, quantity: Amount, reason: Optional[str] = None,
    ) -> StockMovement:
        """Records a physical count: on hand becomes ``quantity`` (the ledger shows the difference)."""
        return self._move("stock.count", actor, part_id, location_id, quantity, None, reason)

    def _move(
        self, method: str, actor: Actor, part_id: Id, location_id: Id, quantity: Amount,
        unit_cost: Optional[Amount], reason: Optional[str],
    ) -> StockMovement:
        return self._call(
            actor, method, StockMovement, part_id=_id(part_id, "part_id"), location_id=_id(location_id, "location_id"),
            quantity=amount(quantity, "quantity"), unit_cost=amount(unit_cost, "unit_cost"), reason=reason,
        )

    def transfer(
        self, actor: Actor, *, part_id: Id, from_location_id: Id, to_location_id: Id, quantity: Amount,
        reason: Optional[str] = None,
    ) -> Tuple[StockMovement, StockMovement]:
        """Moves stock between two locations in one commit: ``(transfer_out, transfer_in)``; the
        destination takes the source's average cost."""
        return self._call(
            actor, "stock.transfer", Tuple[StockMovement, StockMovement], part_id=_id(part_id, "part_id"),
            from_location_id=_id(from_location_id, "from_location_id"),
            to_location_id=_id(to_location_id, "to_location_id"), quantity=amount(quantity, "quantity"), reason=reason,
        )

    def get(self, actor: Actor, *, part_id: Id, location_id: Id) -> Stock:
        """The stock of a part at a location (an empty row when nothing was ever there);
        ``stock.available`` and ``stock.status`` follow from it."""
        return self._call(
            actor, "stock.get", Stock, part_id=_id(part_id, "part_id"), location_id=_id(location_id, "location_id"),
        )

    def set_levels(
        self, actor: Actor, *, part_id: Id, location_id: Id, levels: Optional[StockLevelsInput],
    ) -> Stock:
        """Sets this location's own stock levels for the part (``None``: follow the part's again)."""
        return self._call(
            actor, "stock.set_levels", Stock, part_id=_id(part_id, "part_id"),
            location_id=_id(location_id, "location_id"), levels=_levels(levels),
        )

    def list(
        self, actor: Actor, *, part: Optional[Id] = None, location: Optional[Id] = None,
        status: Optional[StockStatus] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[Stock]:
        """One page of stock rows (of a ``part``, at a ``location``, in a ``status``)."""
        return self._page(
            actor, "stock.list", Stock, **_clean(dict(
                part=_id(part, "part"), location=_id(location, "location"), status=status, limit=limit, cursor=cursor,
            )),
        )

    def iter_all(
        self, actor: Actor, *, part: Optional[Id] = None, location: Optional[Id] = None,
        status: Optional[StockStatus] = None, limit: int = PAGE,
    ) -> Iterator[Stock]:
        """Every matching stock row, page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(actor, part=part, location=location, status=status, limit=limit, cursor=c))

    def movements(
        self, actor: Actor, *, part: Optional[Id] = None, location: Optional[Id] = None,
        work_order: Optional[Id] = None, purchase_order: Optional[Id] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[StockMovement]:
        """One page of the stock ledger, oldest first."""
        return self._page(
            actor, "stock.movements", StockMovement, **_clean(dict(
                part=_id(part, "part"), location=_id(location, "location"), work_order=_id(work_order, "work_order"),
                purchase_order=_id(purchase_order, "purchase_order"), limit=limit, cursor=cursor,
            )),
        )

    def iter_movements(
        self, actor: Actor, *, part: Optional[Id] = None, location: Optional[Id] = None,
        work_order: Optional[Id] = None, purchase_order: Optional[Id] = None, limit: int = PAGE,
    ) -> Iterator[StockMovement]:
        """Every matching movement, page by page (the filters of :meth:`movements`)."""
        return self._walk(lambda c: self.movements(
            actor, part=part, location=location, work_order=work_order, purchase_order=purchase_order, limit=limit,
            cursor=c,
        ))

    def low(
        self, actor: Actor, *, location: Optional[Id] = None, window_days: Optional[int] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[LowStockItem]:
        """One page of stock at or below its reorder point (or minimum), with the shortage and
        the estimated days until it runs out at the consumption of the last ``window_days``
        (default 30)."""
        return self._page(
            actor, "stock.low", LowStockItem, **_clean(dict(
                location=_id(location, "location"), window_days=window_days, limit=limit, cursor=cursor,
            )),
        )

    def iter_low(
        self, actor: Actor, *, location: Optional[Id] = None, window_days: Optional[int] = None, limit: int = PAGE,
    ) -> Iterator[LowStockItem]:
        """Every low-stock item, page by page (the filters of :meth:`low`).

        >>> short = {i.part.part_number: i.shortage for i in db.stock.iter_low(owner)}  # doctest: +SKIP
        """
        return self._walk(lambda c: self.low(actor, location=location, window_days=window_days, limit=limit, cursor=c))


class Vendors(_Group):
    """Suppliers and the parts they sell."""

    def create(
        self, actor: Actor, *, name: str, contact: Optional[str] = None, email: Optional[str] = None,
        phone: Optional[str] = None, address: Optional[str] = None, currency: Optional[str] = None,
        lead_time_days: Optional[int] = None, active: Optional[bool] = None,
    ) -> Vendor:
        """Adds a vendor (``inventory.manage``); ``currency`` is an ISO 4217 code.

        >>> acme = db.vendors.create(owner, name="Acme Seals", email="orders@acme.test", lead_time_days=5)  # doctest: +SKIP
        """
        return self._call(
            actor, "vendors.create", Vendor, name=name, contact=contact, email=email, phone=phone, address=address,
            currency=currency, lead_time_days=lead_time_days, active=active,
        )

    def get(self, actor: Actor, id: Id) -> Vendor:
        """The vendor."""
        return self._call(actor, "vendors.get", Vendor, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        contact: Patch[Optional[str]] = UNSET, email: Patch[Optional[str]] = UNSET,
        phone: Patch[Optional[str]] = UNSET, address: Patch[Optional[str]] = UNSET,
        currency: Patch[Optional[str]] = UNSET, lead_time_days: Patch[Optional[int]] = UNSET,
        active: Patch[bool] = UNSET,
    ) -> Vendor:
        """Changes the given fields and keeps the others (``None`` clears an optional one)."""
        current = self.get(actor, id)
        given = dict(name=name, contact=contact, email=email, phone=phone, address=address, currency=currency,
                     lead_time_days=lead_time_days, active=active)
        full = {k: getattr(current, k) if v is UNSET else v for k, v in given.items()}
        version = current.version if expected_version is None else expected_version
        return self._call(actor, "vendors.update", Vendor, id=_id(id), expected_version=version, **full)

    def list(self, actor: Actor, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Vendor]:
        """One page of vendors, in creation order."""
        return self._page(actor, "vendors.list", Vendor, **_clean(dict(limit=limit, cursor=cursor)))

    def iter_all(self, actor: Actor, *, limit: int = PAGE) -> Iterator[Vendor]:
        """Every vendor, page by page."""
        return self._walk(lambda c: self.list(actor, limit=limit, cursor=c))

    def set_part(
        self, actor: Actor, vendor_id: Id, *, part_id: Id, vendor_part_number: Optional[str] = None,
        price: Optional[Amount] = None, preferred: bool = False,
    ) -> VendorPart:
        """Records that the vendor sells the part (at ``price``, as ``vendor_part_number``);
        ``preferred`` makes it the vendor reorder suggestions use for the part."""
        return self._call(
            actor, "vendors.set_part", VendorPart, id=_id(vendor_id, "vendor_id"), part_id=_id(part_id, "part_id"),
            vendor_part_number=vendor_part_number, price=amount(price, "price"), preferred=preferred,
        )

    def parts(self, actor: Actor, vendor_id: Id) -> List[VendorPart]:
        """The parts the vendor sells."""
        return self._call(actor, "vendors.parts", List[VendorPart], id=_id(vendor_id, "vendor_id"))


class PurchaseOrders(_Group):
    """Purchase orders: draft, submit, approve (within each role's limit), order, receive
    (partly or fully; receipts move the average cost), close."""

    def create(
        self, actor: Actor, *, vendor_id: Id, site_id: Id, lines: Sequence[PoLineInput] = (),
        notes: Optional[str] = None,
    ) -> PurchaseOrderDetail:
        """A draft order to ``vendor_id`` for ``site_id``; each line
        ``{"part_id", "location_id", "quantity", "unit_price"?}`` (the price defaults to the
        vendor's, else the part's unit cost).

        >>> po = db.purchase_orders.create(owner, vendor_id=acme.id, site_id=site.id, lines=[
        ...     {"part_id": seal.id, "location_id": store.id, "quantity": 10, "unit_price": "40"}])  # doctest: +SKIP
        """
        return self._call(
            actor, "purchase_orders.create", PurchaseOrderDetail, vendor_id=_id(vendor_id, "vendor_id"),
            site_id=_id(site_id, "site_id"), notes=notes, lines=_lines(lines),
        )

    def get(self, actor: Actor, id: Id) -> PurchaseOrderDetail:
        """The order with its lines."""
        return self._call(actor, "purchase_orders.get", PurchaseOrderDetail, id=_id(id))

    def list(
        self, actor: Actor, *, status: Optional[PoStatus] = None, vendor: Optional[Id] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[PurchaseOrder]:
        """One page of orders (without their lines), in creation order."""
        return self._page(
            actor, "purchase_orders.list", PurchaseOrder,
            **_clean(dict(status=status, vendor=_id(vendor, "vendor"), limit=limit, cursor=cursor)),
        )

    def iter_all(
        self, actor: Actor, *, status: Optional[PoStatus] = None, vendor: Optional[Id] = None, limit: int = PAGE,
    ) -> Iterator[PurchaseOrder]:
        """Every matching order, page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(actor, status=status, vendor=vendor, limit=limit, cursor=c))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, vendor_id: Patch[Id] = UNSET,
        notes: Patch[Optional[str]] = UNSET, lines: Patch[Sequence[PoLineInput]] = UNSET,
    ) -> PurchaseOrderDetail:
        """Changes a draft: its vendor, notes or lines (replaced whole); what is not given stays."""
        current = self.get(actor, id)
        new_lines: List[Any]
        if isinstance(lines, Unset):
            new_lines = [
                {"part_id": line.part_id, "location_id": line.location_id, "quantity": line.quantity,
                 "unit_price": line.unit_price}
                for line in current.lines
            ]
        else:
            new_lines = list(lines)
        version = current.version if expected_version is None else expected_version
        return self._call(
            actor, "purchase_orders.update", PurchaseOrderDetail, id=_id(id), expected_version=version,
            vendor_id=_id(current.vendor_id if isinstance(vendor_id, Unset) else vendor_id, "vendor_id"),
            site_id=str(current.site_id), notes=current.notes if notes is UNSET else notes,
            lines=_lines(new_lines),
        )

    def transition(
        self, actor: Actor, id: Id, to: PoStatus, *, reason: Optional[str] = None,
        expected_version: Optional[int] = None,
    ) -> PurchaseOrderDetail:
        """Moves the order along its status machine: ``submitted``, ``approved`` / ``rejected``
        (``purchase.approve``, within the role's limit), ``ordered``, ``cancelled``, ``closed``
        (a reason is required to reject, cancel, or close a partly received order).

        >>> for step in ("submitted", "approved", "ordered"):
        ...     po = db.purchase_orders.transition(owner, po.id, step)  # doctest: +SKIP
        """
        return self._call(
            actor, "purchase_orders.transition", PurchaseOrderDetail, id=_id(id), to=to, reason=reason,
            expected_version=expected_version,
        )

    def receive(
        self, actor: Actor, id: Id, *, lines: Sequence[ReceiptLineInput], expected_version: Optional[int] = None,
    ) -> PurchaseOrderDetail:
        """Records what arrived (``[{"line_id": ..., "quantity": ..., "unit_cost"?: ...}]``): stock
        comes in at each line's location, the average cost moves, and the order becomes
        ``partially_received`` or ``received``.

        >>> po = db.purchase_orders.receive(owner, po.id, lines=[{"line_id": po.lines[0].id, "quantity": 4}])  # doctest: +SKIP
        """
        checked = check_items("lines", lines, "receipt")
        for line in checked:
            if "line_id" in line:
                line["line_id"] = _id(line["line_id"], "line_id")
        return self._call(
            actor, "purchase_orders.receive", PurchaseOrderDetail, id=_id(id), expected_version=expected_version,
            lines=amounts(checked, "lines", ("quantity", "unit_cost")),
        )

    def suggest(self, actor: Actor, *, location: Optional[Id] = None, create: bool = False) -> List[SuggestedOrder]:
        """Reorder suggestions from low stock, one per site and preferred vendor; with
        ``create=True`` each suggestion with a vendor becomes a draft order (``created``)."""
        return self._call(
            actor, "purchase_orders.suggest", List[SuggestedOrder], location=_id(location, "location"), create=create,
        )
