"""Webhooks from Python against a real HTTP receiver on loopback (``http.server`` in a thread,
started and stopped by a fixture): the secret is shown once, events arrive in order and their
signatures verify with the ``standardwebhooks`` package, a receiver that fails three times gets
the event on the fourth attempt, replay re-sends with the same ids, loopback is refused unless
the database was opened with ``webhooks_allow_private=True``, and the delivery log shows it all."""

from __future__ import annotations

import json
import pathlib
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

import cmms
from conftest import make_org


class Receiver:
    def __init__(self) -> None:
        self.fail = 0
        self.got: List[Dict[str, Any]] = []
        self.url = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            status = 200
            if state.fail > 0:
                state.fail -= 1
                status = 500
            state.got.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                              "status": status})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"thanks" if status == 200 else b"oops")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


ROOT = pathlib.Path(__file__).resolve().parents[2]


def _snippets() -> List[Any]:
    """The ``receive`` functions of the README and docs/webhooks.md, as written there."""
    found = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "webhooks.md"):
        blocks = [b.split("```", 1)[0] for b in doc.read_text(encoding="utf-8").split("```python\n")[1:]]
        (code,) = [b for b in blocks if "def receive(" in b]
        scope: Dict[str, Any] = {}
        exec(compile(code, f"{doc.name}[receive]", "exec"), scope)
        found.append(scope["receive"])
    return found


def _delivered(rx: Receiver) -> List[Dict[str, Any]]:
    return [r for r in rx.got if r["status"] == 200]


def test_signed_in_order_retried_replayed(url: str, receiver: Receiver) -> None:
    with cmms.open(url, migrate=True, webhooks_allow_private=True) as db:
        org = make_org(db)
        with pytest.raises(cmms.ValidationError):
            db.webhooks.create(org.owner, receiver.url)  # http needs the org setting
        db.orgs.update(org.owner, webhooks_allow_http=True)
        with pytest.raises(cmms.PermissionDeniedError):
            db.webhooks.create(org.manager, receiver.url)
        made = db.webhooks.create(org.owner, receiver.url, event_types=["work_order.created", "work_order.status_changed"],
                                  description="ERP")
        assert made.secret.startswith("whsec_")
        assert "secret" not in json.dumps(db.webhooks.get(org.owner, made.webhook.id).to_dict(json=True))
        wo = db.work_orders.create(org.owner, title="Pump P-7", site_id=org.site.id, assignees=[org.users["tech"].id])
        db.work_orders.transition(org.tech, wo.id, "in_progress")
        db.work_orders.create(org.owner, title="Valve V-2", site_id=org.site.id)

        report = db.deliver_webhooks()
        assert report.delivered == 3 and report.failed == 0
        verifier = Verifier(made.secret)
        seqs = []
        for r in receiver.got:
            payload = verifier.verify(r["body"], r["headers"])  # raises if the signature is wrong
            seqs.append(payload["data"]["seq"])
        assert seqs == sorted(seqs)
        types = [json.loads(r["body"])["type"] for r in receiver.got]
        assert types == ["work_order.created", "work_order.status_changed", "work_order.created"]
        for receive in _snippets():  # the guides' verification code, on real deliveries
            assert receive(made.secret, receiver.got[0]["body"], receiver.got[0]["headers"])["type"] == types[0]
            with pytest.raises(Exception):
                receive("whsec_" + "A" * 43 + "=", receiver.got[0]["body"], receiver.got[0]["headers"])

        # Three failures, then the fourth attempt lands, and the next event after it.
        receiver.fail = 3
        wo2 = db.work_orders.create(org.owner, title="Fan F-1", site_id=org.site.id)
        db.work_orders.create(org.owner, title="Belt B-4", site_id=org.site.id)
        now = datetime.now(timezone.utc)
        for attempt in range(3):
            assert db.deliver_webhooks(now).failed == 1
            state = db.webhooks.get(org.owner, made.webhook.id).delivery
            assert state is not None
            assert state.failure_streak == attempt + 1 and state.last_error == "HTTP 500"
            now = state.next_attempt_at + timedelta(milliseconds=1)
        assert db.deliver_webhooks(now).delivered == 2
        tail = receiver.got[-5:]
        assert [r["status"] for r in tail] == [500, 500, 500, 200, 200]
        assert len({r["headers"]["webhook-id"] for r in tail[:4]}) == 1, "one event, one id"
        assert json.loads(tail[3]["body"])["data"]["entity"]["id"] == str(wo2.id)
        log = db.webhooks.deliveries(org.owner, made.webhook.id, limit=5)
        assert [(d.attempt, d.ok, d.status_code) for d in reversed(log)] == [
            (1, False, 500), (2, False, 500), (3, False, 500), (4, True, 200), (1, True, 200)]
        assert log[1].response_excerpt == "thanks"

        # Replay: the same ids again, in order.
        first = json.loads(receiver.got[0]["body"])["data"]["seq"]
        before = len(receiver.got)
        db.webhooks.replay(org.owner, made.webhook.id, first)
        assert db.deliver_webhooks(now).delivered == 5
        again = receiver.got[before:]
        ids = [r["headers"]["webhook-id"] for r in _delivered(receiver)[:5]]
        assert [r["headers"]["webhook-id"] for r in again] == ids

        test = db.webhooks.test(org.owner, made.webhook.id)
        assert test.ok and test.event_type == "webhook.test" and test.event_seq == 0
        off = db.webhooks.update(org.owner, made.webhook.id, active=False)
        assert not off.active
        db.webhooks.delete(org.owner, made.webhook.id)
        assert db.webhooks.list(org.owner) == []


def test_private_addresses_are_refused_by_default(url: str, receiver: Receiver) -> None:
    with cmms.open(url, migrate=True) as db:
        org = make_org(db)
        db.orgs.update(org.owner, webhooks_allow_http=True)
        made = db.webhooks.create(org.owner, receiver.url)
        db.work_orders.create(org.owner, title="Pump", site_id=org.site.id)
        report = db.deliver_webhooks()
        assert report.failed == 1 and report.delivered == 0
        assert receiver.got == [], "nothing reached the loopback receiver"
        log = db.webhooks.deliveries(org.owner, made.webhook.id)
        assert log[0].status_code is None and "private" in (log[0].error or "")
        with pytest.raises(TypeError):
            db.webhooks.create(org.owner, receiver.url, event_types="work_order.created")
