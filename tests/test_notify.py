"""Notifications (pipelines/notify.py) against real local receivers: a webhook HTTP
server and an aiosmtpd SMTP server on 127.0.0.1; the daily summary text; secrets from
the environment only."""
from __future__ import annotations

import email
import email.policy
import json
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pipelines import notify
from pipelines.store import Store
from tests.test_run_daily_support import Receiver, rows

SINCE = "2000-01-01T00:00:00+00:00"


@pytest.fixture
def db(tmp_path):
    """A database with two runs (one failed) and two pending alerts."""
    path = tmp_path / "c.db"
    store = Store(path)
    ok = store.start_run("demo")
    store.finish_run(ok, status="ok", items=12, stored=10, duplicates=2, quarantined=0, errors=0,
                     duration_s=21.4, finish_reason="finished")
    bad = store.start_run("heimao")
    store.finish_run(bad, status="blocked", items=0, stored=0, duplicates=0, quarantined=0, errors=1,
                     duration_s=3.0, finish_reason="blocked: heimao list: HTTP 456",
                     reason="heimao list: HTTP 456", monitors_failed="ban_rate,item_count")
    store.add_alert("ban_rate", "heimao: BanRate: the crawl was stopped as blocked", source="heimao", run_id=bad)
    store.add_alert("new_lender", "New lender 金狐贷 (discovered, not in the registry): 1 complaint(s)")
    store.close()
    return path


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": email.message_from_bytes(envelope.content, policy=email.policy.default)})
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()

    def accept(server, session, envelope, mechanism, auth_data):
        inbox.logins.append(auth_data.login)
        return AuthResult(success=auth_data.login == b"ops" and auth_data.password == b"s3cret")

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=accept,
                            auth_require_tls=False)
    controller.start()
    yield controller, inbox
    controller.stop()


def quiet(*args):
    pass


# -- webhook ---------------------------------------------------------------------

def test_webhook_posts_json_and_marks_alerts_notified(db, receiver):
    env = {"CUISHOU_WEBHOOK_URL": receiver.url, "CUISHOU_WEBHOOK_TOKEN": "tok-123"}
    report = notify.notify(db, SINCE, "2026-12-01", env, log=quiet)
    assert report.sent == ["webhook"] and report.failed == {} and report.alerts == 2
    [request] = receiver.requests
    assert request["path"] == "/hooks/cuishou"
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    assert request["headers"]["Content-Type"].startswith("application/json")
    body = json.loads(request["body"].decode("utf-8"))
    assert body["failed_sources"] == ["heimao"] and body["alerts_total"] == 2
    assert [a["kind"] for a in body["alerts"]] == ["ban_rate", "new_lender"]
    assert "金狐贷" in body["text"] and [r["source"] for r in body["runs"]] == ["demo", "heimao"]
    assert {a["notified"] for a in rows(db, "SELECT notified FROM alerts")} == {1}
    notify.notify(db, SINCE, "2026-12-01", env, log=quiet)           # nothing pending any more
    assert json.loads(receiver.requests[1]["body"])["alerts"] == []


def test_a_failed_webhook_keeps_the_alerts_for_the_next_run(db):
    refusing = Receiver(status=500)
    try:
        report = notify.notify(db, SINCE, "2026-12-01", {"CUISHOU_WEBHOOK_URL": refusing.url}, log=quiet)
    finally:
        refusing.close()
    assert report.sent == [] and "HTTP 500" in report.failed["webhook"]
    assert {a["notified"] for a in rows(db, "SELECT notified FROM alerts")} == {0}


def test_an_unreachable_webhook_is_a_clear_error():
    hook = notify.Webhook(f"http://127.0.0.1:{free_port()}/x")
    with pytest.raises(notify.NotifyError, match="webhook unreachable"):
        notify.post_webhook(hook, {"text": "x"}, timeout=5)


# -- e-mail ----------------------------------------------------------------------

def test_email_reaches_the_smtp_server_with_login(db, smtp_server):
    controller, inbox = smtp_server
    env = {"CUISHOU_SMTP_HOST": "127.0.0.1", "CUISHOU_SMTP_PORT": str(controller.port),
           "CUISHOU_SMTP_TLS": "none", "CUISHOU_SMTP_USER": "ops", "CUISHOU_SMTP_PASSWORD": "s3cret",
           "CUISHOU_SMTP_FROM": "cuishou@localhost", "CUISHOU_SMTP_TO": "a@localhost, b@localhost"}
    report = notify.notify(db, SINCE, "2026-12-01", env, log=quiet)
    assert report.sent == ["email"], report.failed
    [mail] = inbox.messages
    assert mail["from"] == "cuishou@localhost" and mail["to"] == ["a@localhost", "b@localhost"]
    assert inbox.logins == [b"ops"]
    assert mail["message"]["Subject"] == "[催收观察] 2026-12-01: 2 run(s), 1 failed, 2 alert(s)"
    text = mail["message"].get_content()
    assert "金狐贷" in text and "BLOCKED" in text and "heimao list: HTTP 456" in text
    assert {a["notified"] for a in rows(db, "SELECT notified FROM alerts")} == {1}


def test_a_wrong_password_is_reported_not_raised(db, smtp_server):
    controller, inbox = smtp_server
    env = {"CUISHOU_SMTP_HOST": "127.0.0.1", "CUISHOU_SMTP_PORT": str(controller.port), "CUISHOU_SMTP_TLS": "none",
           "CUISHOU_SMTP_USER": "ops", "CUISHOU_SMTP_PASSWORD": "wrong", "CUISHOU_SMTP_TIMEOUT": "2",
           "CUISHOU_SMTP_FROM": "cuishou@localhost", "CUISHOU_SMTP_TO": "a@localhost"}
    report = notify.notify(db, SINCE, "2026-12-01", env, log=quiet)
    assert "e-mail via 127.0.0.1" in report.failed["email"] and inbox.messages == []
    assert {a["notified"] for a in rows(db, "SELECT notified FROM alerts")} == {0}


def test_both_channels_at_once(db, receiver, smtp_server):
    controller, inbox = smtp_server
    env = {"CUISHOU_WEBHOOK_URL": receiver.url, "CUISHOU_SMTP_HOST": "127.0.0.1",
           "CUISHOU_SMTP_PORT": str(controller.port), "CUISHOU_SMTP_FROM": "c@localhost", "CUISHOU_SMTP_TO": "a@localhost"}
    report = notify.notify(db, SINCE, "2026-12-01", env, log=quiet)
    assert report.sent == ["webhook", "email"] and len(receiver.requests) == len(inbox.messages) == 1


# -- configuration and the summary -------------------------------------------------

def test_configuration_comes_from_the_environment_only():
    assert notify.webhook_from_env({}) is None and notify.smtp_from_env({}) is None
    with pytest.raises(ValueError, match="CUISHOU_SMTP_FROM and CUISHOU_SMTP_TO"):
        notify.smtp_from_env({"CUISHOU_SMTP_HOST": "mail.example"})
    with pytest.raises(ValueError, match="http"):
        notify.webhook_from_env({"CUISHOU_WEBHOOK_URL": "ftp://x"})
    smtp = notify.smtp_from_env({"CUISHOU_SMTP_HOST": "mail.example", "CUISHOU_SMTP_FROM": "a@x",
                                 "CUISHOU_SMTP_TO": "b@x", "CUISHOU_SMTP_USER": "u", "CUISHOU_SMTP_PASSWORD": "pw-42"})
    assert (smtp.tls, smtp.port) == ("starttls", 587) and "pw-42" not in repr(smtp)


def test_without_a_channel_the_summary_is_printed_and_alerts_stay_pending(db):
    printed = []
    report = notify.notify(db, SINCE, "2026-12-01", {}, log=printed.append)
    assert report.sent == [] and report.text in printed
    assert {a["notified"] for a in rows(db, "SELECT notified FROM alerts")} == {0}


def test_summary_text_names_each_run_and_alert():
    runs = [{"source": "demo", "status": "ok", "items": 12, "stored": 10, "duplicates": 2, "quarantined": 0,
             "errors": 0, "duration_s": 21.4, "finish_reason": "finished"},
            {"source": "site2", "status": "failed", "items": 0, "finish_reason": "timeout: killed after 60s",
             "reason": "timeout: killed after 60s; log /x.log: " + "x" * 500, "exit_code": -9}]
    alerts = [{"kind": "spike", "message": f"Spike {i}"} for i in range(60)]
    text = notify.summary_text(runs, alerts, "2026-12-01", {"posts": 120, "lenders": 14})
    lines = text.splitlines()
    assert lines[0] == "催收观察 Cuishou Watch: daily summary 2026-12-01"
    assert lines[1] == "Crawls: 2 run(s), 1 not ok"
    assert lines[2].split() == "ok demo 12 items, 10 new, 2 duplicates, 0 quarantined, 0 errors, 21s".split()
    assert lines[3].split()[:2] == ["FAILED", "site2"] and "finish reason timeout: killed after 60s" in lines[3]
    assert lines[3].count("timeout: killed") == 1 and len(lines[3]) < 400
    assert "Alerts: 60" in lines and "  [spike] Spike 49" in lines and "  [spike] Spike 50" not in lines
    assert "  ... and 10 more (table alerts)" in lines
    assert lines[-1] == "Database: 120 posts, 14 lenders with complaints"
