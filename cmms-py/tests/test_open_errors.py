"""Errors opening a database say what went wrong: the StorageError's message names the database
and the cause, its ``__cause__`` is a DriverError with the driver's text, and a closed port is
not a BusyError. Rust's log events reach Python's ``logging`` (logger ``cmms``)."""

from __future__ import annotations

import logging
import pathlib
import socket
import threading
import urllib.parse

import pytest

import cmms
from cmms.errors import DriverError
from conftest import PG_URL

needs_pg = pytest.mark.skipif(not PG_URL, reason="CMMS_PY_TEST_SQLITE_ONLY=1: no PostgreSQL")


def storage_error(url: str) -> cmms.StorageError:
    with pytest.raises(cmms.StorageError) as err:
        cmms.open(url)
    e = err.value
    assert not isinstance(e, cmms.BusyError)
    assert e.code == "store_error"
    assert isinstance(e.__cause__, DriverError), repr(e.__cause__)
    assert str(e.__cause__)
    assert "s3cret" not in str(e) and "s3cret" not in str(e.__cause__)
    return e


def on_pg(user: str | None = None, database: str | None = None) -> str:
    parts = urllib.parse.urlsplit(PG_URL)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rsplit("@", 1)[-1]
        netloc = f"{user}:s3cret@{host}"
    path = f"/{database}" if database is not None else parts.path
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def test_a_missing_sqlite_directory(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "nonexistent" / "x.db"
    e = storage_error(f"sqlite:///{path}")
    assert str(e) == (
        f"storage error: cannot open SQLite database {path}: unable to open database file "
        f"(the directory {path.parent} does not exist)"
    )
    assert "unable to open database file" in str(e.__cause__)


def test_a_closed_port_is_a_storage_error_not_busy() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = storage_error(f"postgres://cmms:s3cret@127.0.0.1:{port}/plant")
    assert str(e).startswith(f"storage error: cannot connect to PostgreSQL at 127.0.0.1:{port}/plant as user cmms: ")
    assert "refused" in str(e).lower() and "refused" in str(e.__cause__).lower()


def test_tls_required_by_a_server_without_it() -> None:
    # Answers PostgreSQL's SSLRequest with "N", as every server without TLS does.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(8)
            conn.sendall(b"N")
            conn.recv(1)

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        e = storage_error(f"postgres://cmms:s3cret@127.0.0.1:{port}/plant?sslmode=require")
    finally:
        server.close()
    assert str(e).endswith("server does not support TLS (sslmode=require)"), str(e)


@needs_pg
def test_a_missing_postgres_database() -> None:
    e = storage_error(on_pg(database="no_such_db"))
    assert "cannot connect to PostgreSQL at " in str(e)
    assert str(e).endswith('database "no_such_db" does not exist'), str(e)
    assert 'database "no_such_db" does not exist' in str(e.__cause__)


@needs_pg
def test_an_unknown_postgres_role() -> None:
    e = storage_error(on_pg(user="no_such_role"))
    assert "as user no_such_role: " in str(e)
    assert ('role "no_such_role" does not exist' in str(e)
            or 'password authentication failed for user "no_such_role"' in str(e)), str(e)


@needs_pg
def test_a_wrong_postgres_password() -> None:
    # The role the Rust test `connection_errors_name_the_cause` uses
    # (cmms_store_postgres::testing::PASSWORD_ROLE): it exists, and the suite's server
    # (cmms-pg-test-server) makes it log in with its password over TCP; "s3cret" is not it.
    role = "cmms_password_check"
    e = storage_error(on_pg(user=role))
    assert f"as user {role}: " in str(e), str(e)
    assert str(e).endswith(f'password authentication failed for user "{role}"'), str(e)
    assert f'password authentication failed for user "{role}"' in str(e.__cause__)


def test_rust_log_events_reach_python_logging(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> None:
    # Migrating a new SQLite file logs each migration at INFO.
    caplog.set_level(logging.INFO, logger="cmms")
    with cmms.open(f"sqlite:///{tmp_path / 'a.db'}", migrate=True):
        pass
    applied = [r for r in caplog.records if r.name == "cmms" and "applied migration" in r.getMessage()]
    assert applied, caplog.records
    assert applied[0].levelno == logging.INFO
    assert "version=1" in applied[0].getMessage() and "name=" in applied[0].getMessage()
    assert getattr(applied[0], "rust_target", "").startswith("cmms_store_sqlite")

    # Below the logger's level nothing is handed over.
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="cmms")
    with cmms.open(f"sqlite:///{tmp_path / 'b.db'}", migrate=True):
        pass
    assert not [r for r in caplog.records if r.name == "cmms"], caplog.records
