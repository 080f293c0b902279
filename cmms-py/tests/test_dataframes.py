"""Values as pandas and numpy hand them over: missing cells, numpy scalars, Decimal, datetime64."""

from __future__ import annotations

import io
import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cmms
from conftest import Org

CSV = """code,name,category,manufacturer,criticality,serial_number
P-101,Feed pump 1,pump,Grundfos,4,SN-1
P-102,Feed pump 2,pump,,3,
F-201,Air filter,,Camfil,,F-9
"""


def test_a_csv_read_by_pandas_imports_as_it_is(org: Org) -> None:
    db = org.db
    frame = pd.read_csv(io.StringIO(CSV))
    # A column with a gap is float64 (criticality 4.0, NaN); empty text cells are NaN.
    assert frame["criticality"].dtype == np.float64
    # pandas types a row's cells as a union of everything a cell can hold; cmms takes them.
    rows: Any = frame.itertuples(index=False)
    for row in rows:
        db.assets.create(
            org.owner, site_id=org.site.id, code=row.code, name=row.name, category=row.category,
            manufacturer=row.manufacturer, criticality=row.criticality, serial_number=row.serial_number,
        )
    by_code = {a.code: a for a in db.assets.iter_all(org.owner)}
    assert by_code["P-101"].criticality == 4 and by_code["P-101"].manufacturer == "Grundfos"
    assert by_code["P-102"].manufacturer is None and by_code["P-102"].serial_number is None
    assert by_code["F-201"].category is None and by_code["F-201"].criticality == 3  # the default
    records: Any = frame.to_dict("records")
    db.assets.create(org.owner, site_id=org.site.id, **{**records[1], "code": "P-103"})
    assert db.assets.iter_all(org.owner, text="P-103").__next__().manufacturer is None


def test_numpy_scalars_decimal_and_missing_markers(org: Org) -> None:
    db = org.db
    a = db.assets.create(
        org.owner, site_id=org.site.id, code="NP-1", name="Numpy pump", criticality=np.int64(5),  # type: ignore[arg-type]
        specifications={"flow_m3h": np.float32(12.5), "stages": np.int8(3), "sealed": np.bool_(True),
                        "price": Decimal("1234.50"), "note": pd.NA, "checked": pd.NaT},
    )
    assert a.criticality == 5
    assert a.specifications == {"flow_m3h": 12.5, "stages": 3, "sealed": True, "price": 1234.5,
                                "note": None, "checked": None}
    wo = db.work_orders.create(
        org.owner, title="Numpy work", site_id=org.site.id, estimated_hours=Decimal("1.25"),  # type: ignore[arg-type]
        due_at=np.datetime64("2030-01-02T03:04:05"),  # type: ignore[arg-type]
        description=float("nan"),  # type: ignore[arg-type]
        asset_id=float("nan"),  # type: ignore[arg-type]
    )
    assert wo.estimated_hours == 1.25
    assert wo.due_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert wo.description is None and wo.asset_id is None
    stamp = pd.Timestamp("2030-02-01 08:00", tz="Europe/Berlin")
    wo = db.work_orders.update(org.owner, wo.id, due_at=stamp)
    assert wo.due_at == datetime(2030, 2, 1, 7, 0, tzinfo=timezone.utc)
    wo = db.work_orders.update(org.owner, wo.id, due_at=pd.NaT)  # type: ignore[arg-type]
    assert wo.due_at is None, "NaT clears like None"


def test_bad_values_name_the_argument(org: Org) -> None:
    db = org.db
    with pytest.raises(cmms.ValidationError) as e:
        db.work_orders.create(org.owner, title="x", site_id=org.site.id,
                              due_at=pd.Timestamp("2030-01-01 08:00"))  # naive
    assert e.value.field == "due_at" and "timezone-aware" in str(e.value)
    with pytest.raises(cmms.ValidationError) as e:
        db.work_orders.create(org.owner, title="x", site_id=org.site.id, estimated_hours=math.inf)
    assert e.value.field == "estimated_hours"
    with pytest.raises(TypeError, match="^specifications.blob: cannot pass a bytearray"):
        db.assets.create(org.owner, site_id=org.site.id, code="B-1", name="b",
                         specifications={"blob": bytearray(b"x")})
    with pytest.raises(TypeError, match="criticality"):
        db.assets.create(org.owner, site_id=org.site.id, code="B-2", name="b", criticality="high")  # type: ignore[arg-type]
