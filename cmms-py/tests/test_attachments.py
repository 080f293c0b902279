"""Attachments from Python: uploads from a path, bytes and a file object, listing, downloads to
bytes and to a path with the checksum, deletion removing the content; refusals store nothing;
and the same round trip against a real S3-compatible server (moto's server mode on loopback,
started and stopped here)."""

from __future__ import annotations

import hashlib
import io
import socket
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

import cmms
from conftest import make_org

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def files_root(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def fdb(url: str, files_root: Path) -> Iterator[cmms.Cmms]:
    with cmms.open(url, migrate=True, files_url=f"file://{files_root}") as database:
        yield database


def test_round_trip_with_a_local_directory(fdb: cmms.Cmms, files_root: Path, tmp_path: Path) -> None:
    org = make_org(fdb)
    wo = fdb.work_orders.create(org.manager, title="Pump 4", site_id=org.site.id)
    photo = tmp_path / "leak.png"
    photo.write_bytes(PNG)
    a = fdb.attachments.upload(org.manager, "work_order", wo.id, photo)
    assert (a.name, a.content_type, a.size_bytes) == ("leak.png", "image/png", len(PNG))
    assert a.sha256 == hashlib.sha256(PNG).hexdigest()
    assert a.entity_id == wo.id and a.uploaded_by == org.users["manager"].id
    b = fdb.attachments.upload(org.manager, "work_order", wo.id, b"a,b\n1,2\n", name="m.csv", content_type="text/csv")
    assert b.content_type == "text/csv"
    c = fdb.attachments.upload(org.manager, "work_order", wo.id, io.BytesIO(b"x" * 3_000_000), name="big.txt")
    assert c.size_bytes == 3_000_000
    assert [f.id for f in fdb.attachments.list(org.viewer, "work_order", wo.id)] == [a.id, b.id, c.id]
    assert fdb.attachments.get(org.viewer, a.id) == a

    assert fdb.attachments.download(org.viewer, a.id) == PNG
    out = tmp_path / "copy.png"
    assert fdb.attachments.download(org.viewer, a.id, out) is None
    assert hashlib.sha256(out.read_bytes()).hexdigest() == a.sha256
    assert len(stored(files_root)) == 3

    removed = fdb.attachments.delete(org.manager, a.id)
    assert removed.id == a.id
    assert len(stored(files_root)) == 2
    with pytest.raises(cmms.NotFoundError):
        fdb.attachments.get(org.manager, a.id)


def test_refusals_store_nothing(fdb: cmms.Cmms, files_root: Path) -> None:
    org = make_org(fdb)
    wo = fdb.work_orders.create(org.manager, title="Pump 5", site_id=org.site.id)
    with pytest.raises(cmms.CmmsError) as e:
        fdb.attachments.upload(org.manager, "work_order", wo.id, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", name="a.exe")
    assert e.value.code == "unsupported_media_type"
    with pytest.raises(cmms.PermissionDeniedError):
        fdb.attachments.upload(org.viewer, "work_order", wo.id, PNG, name="v.png")
    with pytest.raises(cmms.ValidationError):
        fdb.attachments.upload(org.manager, "work_order", wo.id, PNG, name="../x.png")
    other = make_org(fdb)
    with pytest.raises(cmms.NotFoundError):
        fdb.attachments.upload(other.owner, "work_order", wo.id, PNG, name="o.png")
    assert stored(files_root) == []
    assert fdb.attachments.list(org.manager, "work_order", wo.id) == []


def test_without_files_url_bytes_cannot_move(db: cmms.Cmms) -> None:
    org = make_org(db)
    wo = db.work_orders.create(org.manager, title="Pump 6", site_id=org.site.id)
    with pytest.raises(cmms.ValidationError) as e:
        db.attachments.upload(org.manager, "work_order", wo.id, PNG, name="p.png")
    assert "files_url" in str(e.value)
    assert db.attachments.list(org.manager, "work_order", wo.id) == []


def test_the_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/attachments.md's Python example runs as written."""
    guide = (Path(__file__).resolve().parents[2] / "docs" / "attachments.md").read_text()
    blocks = [b.split("```")[0] for b in guide.split("```python\n")[1:]]
    assert blocks, "the guide has a Python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "docs/attachments.md", "exec"), {})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's S3 server on a loopback port with one bucket; yields its endpoint."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.fail('moto is not installed: pip install "moto[server]" (scripts/test does)')
    port = free_port()
    server: Any = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/cmms-test", method="PUT")).read()
        yield endpoint
    finally:
        server.stop()


def bucket_keys(endpoint: str) -> str:
    body: bytes = urllib.request.urlopen(f"{endpoint}/cmms-test").read()
    return body.decode()


def test_round_trip_with_s3(url: str, s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3,
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(k, v)
    with cmms.open(url, migrate=True, files_url="s3://cmms-test/attachments") as db:
        org = make_org(db)
        wo = db.work_orders.create(org.manager, title="Pump 7", site_id=org.site.id)
        data = b"gauge log\n" + b"pressure 4.2 bar\n" * 70_000  # ~1.2 MB of text
        a = db.attachments.upload(org.manager, "work_order", wo.id, data, name="log.txt")
        assert a.sha256 == hashlib.sha256(data).hexdigest()
        assert f"attachments/{org.boot.org.id}/{a.content_id}" in bucket_keys(s3)
        got = db.attachments.download(org.manager, a.id)
        assert got is not None and hashlib.sha256(got).hexdigest() == a.sha256
        db.attachments.delete(org.manager, a.id)
        assert str(a.content_id) not in bucket_keys(s3)
