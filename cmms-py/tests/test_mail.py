"""Mail from Python against a real SMTP server on loopback (aiosmtpd, started and stopped by
a fixture): a password reset queues its mail in the token's commit, ``deliver_mail`` sends it
with the right recipient, subject and link, a server that refuses the first attempts gets it
on a retry, and ``db.mail.list`` shows the outbox."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, List

import pytest
from aiosmtpd.controller import Controller

import cmms
from conftest import make_org


class Handler:
    def __init__(self) -> None:
        self.refuse = 0
        self.messages: List[Any] = []

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> List[Any]:
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp() -> Iterator[Handler]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}?tls=none"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def maildb(url: str, smtp: Handler) -> Iterator[cmms.Cmms]:
    smtp_url: str = smtp.url  # type: ignore[attr-defined]
    with cmms.open(
        url, migrate=True, smtp_url=smtp_url, mail_from="CMMS <cmms@example.test>", public_url="https://cmms.example.test"
    ) as db:
        yield db


def _body(envelope: Any) -> str:
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    parts = [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    return "\n".join(parts)


def test_reset_mail_arrives_with_its_link(maildb: cmms.Cmms, smtp: Handler) -> None:
    org = make_org(maildb)
    owner_email = maildb.users.get(org.owner, org.boot.owner.id).email
    assert maildb.request_password_reset(org.boot.org.id, owner_email)
    assert not maildb.request_password_reset(org.boot.org.id, "nobody@example.test")
    pending = maildb.mail.list(org.owner, status="pending")
    assert [(m.to, m.kind) for m in pending] == [(owner_email, "password_reset")]
    report = maildb.deliver_mail()
    assert report.sent >= 1
    got = smtp.to(owner_email)
    assert len(got) == 1
    msg = email.message_from_bytes(got[0].content, policy=email.policy.default)
    assert msg["Subject"] == "Reset your password"
    assert "https://cmms.example.test/reset-password?token=" in _body(got[0])
    sent = maildb.mail.list(org.owner, status="sent")
    assert [m.attempts for m in sent] == [1]
    with pytest.raises(cmms.PermissionDeniedError):
        maildb.mail.list(org.tech)


def test_refused_mail_arrives_on_a_retry(maildb: cmms.Cmms, smtp: Handler) -> None:
    org = make_org(maildb)
    tech_email = org.users["tech"].email
    smtp.refuse = 1
    # Deliver everything else first so the refusal lands on this test's mail.
    maildb.deliver_mail()
    assert maildb.request_password_reset(org.boot.org.id, tech_email)
    now = datetime.now(timezone.utc)
    maildb.deliver_mail(now)
    (waiting,) = maildb.mail.list(org.owner, status="pending")
    assert waiting.attempts == 1 and waiting.last_error and "451" in waiting.last_error
    assert smtp.to(tech_email) == []
    # After the backoff (at most 30 s), well before the token (and its mail) expires.
    maildb.deliver_mail(now + timedelta(minutes=2))
    assert len(smtp.to(tech_email)) == 1
    assert maildb.mail.list(org.owner, status="pending") == []


def test_deliver_without_a_transport_says_how(db: cmms.Cmms) -> None:
    with pytest.raises(ValueError, match="smtp_url"):
        db.deliver_mail()
    with pytest.raises(ValueError, match="aware"):
        db.deliver_mail(datetime(2026, 1, 1))


def test_the_email_guide_runs_as_written() -> None:
    import pathlib

    guide = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "email.md").read_text()
    blocks = [b.split("```", 1)[0] for b in guide.split("```python\n")[1:]]
    assert blocks, "docs/email.md has python examples"
    for block in blocks:
        exec(compile(block, "docs/email.md", "exec"), {})
