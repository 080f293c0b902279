"""Database URLs follow SQLAlchemy (docs/stores.md, "Database URLs"): sqlite:///relative.db,
sqlite:////absolute.db, sqlite:// in memory; a pathlib.Path or a plain path opens that file."""

from __future__ import annotations

import os
import pathlib
from typing import Iterator

import pytest

import cmms


@pytest.fixture
def in_tmp(tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def _use(db: cmms.Cmms) -> None:
    db.orgs.bootstrap(name="Acme", owner_name="Olivia", owner_email="olivia@acme.test")


def test_three_slashes_are_relative_four_absolute(in_tmp: pathlib.Path) -> None:
    (in_tmp / "data").mkdir()
    with cmms.open("sqlite:///rel.db", migrate=True) as db:
        _use(db)
    assert (in_tmp / "rel.db").is_file()
    with cmms.open("sqlite:///data/nested.db", migrate=True) as db:
        _use(db)
    assert (in_tmp / "data" / "nested.db").is_file()
    absolute = in_tmp / "data" / "abs.db"
    with cmms.open(f"sqlite:///{absolute}", migrate=True) as db:  # sqlite:////tmp/...
        _use(db)
    assert absolute.is_file()
    # sqlx's reading of two slashes (and older deployments'): the same relative file.
    with cmms.open("sqlite://rel.db") as db:
        assert db.schema_version() > 0


def test_paths_and_plain_strings(in_tmp: pathlib.Path) -> None:
    with cmms.open(pathlib.Path("by_path.db"), migrate=True) as db:
        _use(db)
    assert (in_tmp / "by_path.db").is_file()
    with cmms.open(in_tmp / "absolute_path.db", migrate=True) as db:
        _use(db)
    assert (in_tmp / "absolute_path.db").is_file()
    with cmms.open("plain.db", migrate=True) as db:
        _use(db)
    assert (in_tmp / "plain.db").is_file()
    with cmms.open(str(in_tmp / "plain_absolute.db"), migrate=True) as db:
        _use(db)
    assert (in_tmp / "plain_absolute.db").is_file()


def test_in_memory_forms(in_tmp: pathlib.Path) -> None:
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite::memory:", ":memory:"):
        with cmms.open(url, migrate=True) as db:
            _use(db)
    assert os.listdir(in_tmp) == []


def test_bad_urls_are_value_errors() -> None:
    for url in ("sqlite:///", "sqlite:///x.db?mode=ro", "mysql://someone:s3cret@db/cmms"):
        with pytest.raises(ValueError) as err:
            cmms.open(url)
        assert "s3cret" not in str(err.value)
    with pytest.raises(TypeError, match="url"):
        cmms.open(42)  # type: ignore[arg-type]
