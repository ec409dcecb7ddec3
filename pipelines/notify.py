"""Notifications after a daily run: a summary text of the runs and the alerts not sent
yet, by webhook (JSON POST) and/or e-mail (SMTP).

Configuration and secrets come from environment variables only (systemd's
EnvironmentFile=, cron's environment), never from a file in the repository:

    CUISHOU_WEBHOOK_URL      POST target; the JSON body is {"text", "runs", "alerts", ...}
    CUISHOU_WEBHOOK_TOKEN    optional, sent as "Authorization: Bearer <token>"
    CUISHOU_SMTP_HOST        e-mail server; with it CUISHOU_SMTP_FROM and CUISHOU_SMTP_TO
    CUISHOU_SMTP_TO          comma-separated recipients
    CUISHOU_SMTP_PORT        default 465 (ssl), 587 (starttls) or 25 (none)
    CUISHOU_SMTP_TLS         ssl | starttls | none (default: starttls when a user is set)
    CUISHOU_SMTP_USER, CUISHOU_SMTP_PASSWORD   optional login
    CUISHOU_SMTP_TIMEOUT     seconds to wait for the server (default 30)

Alerts are marked notified only when every configured channel took the message, so a
failed delivery is retried with the next run (duplicates rather than losses).
"""
from __future__ import annotations

import json
import smtplib
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

MAX_ALERTS_IN_MESSAGE = 50
MAX_REASON = 240
TITLE = "催收观察 Cuishou Watch"


class NotifyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Webhook:
    url: str
    token: str | None = None


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    tls: str = "none"                 # ssl | starttls | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30


@dataclass
class Report:
    text: str
    alerts: int
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- configuration
def webhook_from_env(env: dict) -> Webhook | None:
    url = (env.get("CUISHOU_WEBHOOK_URL") or "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ValueError("CUISHOU_WEBHOOK_URL must be an http(s) URL")
    return Webhook(url, (env.get("CUISHOU_WEBHOOK_TOKEN") or "").strip() or None)


def smtp_from_env(env: dict) -> Smtp | None:
    host = (env.get("CUISHOU_SMTP_HOST") or "").strip()
    if not host:
        return None
    recipients = tuple(a.strip() for a in (env.get("CUISHOU_SMTP_TO") or "").split(",") if a.strip())
    sender = (env.get("CUISHOU_SMTP_FROM") or "").strip()
    if not recipients or not sender:
        raise ValueError("CUISHOU_SMTP_HOST is set: CUISHOU_SMTP_FROM and CUISHOU_SMTP_TO are needed too")
    user = (env.get("CUISHOU_SMTP_USER") or "").strip() or None
    tls = (env.get("CUISHOU_SMTP_TLS") or ("starttls" if user else "none")).strip().lower()
    if tls not in ("ssl", "starttls", "none"):
        raise ValueError(f"CUISHOU_SMTP_TLS must be ssl, starttls or none, not {tls!r}")
    port = int(env.get("CUISHOU_SMTP_PORT") or {"ssl": 465, "starttls": 587, "none": 25}[tls])
    return Smtp(host, port, sender, recipients, tls, user, env.get("CUISHOU_SMTP_PASSWORD") or None,
                float(env.get("CUISHOU_SMTP_TIMEOUT") or 30))


# ---------------------------------------------------------------- reading
def runs_since(conn: sqlite3.Connection, since: str) -> list[dict]:
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(
        "SELECT id, source, started, finished, requests, items, stored, duplicates, quarantined, errors, "
        "duration_s, finish_reason, status, reason, exit_code, monitors_failed FROM crawl_runs "
        "WHERE started >= ? ORDER BY id", (since,))]


def pending_alerts(conn: sqlite3.Connection) -> list[dict]:
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(
        "SELECT id, kind, source, lender_id, message, created, run_id FROM alerts WHERE notified = 0 ORDER BY id")]


def totals(conn: sqlite3.Connection) -> dict:
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    return {"posts": one("SELECT count(*) FROM posts"),
            "lenders": one("SELECT count(DISTINCT lender_id) FROM post_lenders WHERE role = 'subject'")}


# ---------------------------------------------------------------- the message
def run_line(run: dict) -> str:
    """'ok      demo  12 items, 10 new, 2 duplicates, 0 quarantined, 0 errors, 20s'."""
    status = run.get("status") or "?"
    label = status if status == "ok" else status.upper()
    counts = (f"{run.get('items') or 0} items, {run.get('stored') or 0} new, {run.get('duplicates') or 0} "
              f"duplicates, {run.get('quarantined') or 0} quarantined, {run.get('errors') or 0} errors")
    if run.get("duration_s") is not None:
        counts += f", {run['duration_s']:.0f}s"
    extra = []
    if status != "ok":
        extra.append(f"finish reason {run.get('finish_reason') or '-'}")
        reason = str(run.get("reason") or "")
        if reason.startswith(str(run.get("finish_reason"))):
            reason = reason[len(str(run.get("finish_reason"))):].lstrip("; ")
        if reason:
            extra.append(reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 1] + "…")
    if run.get("monitors_failed"):
        extra.append(f"monitors failed: {run['monitors_failed']}")
    return f"  {label:<15} {run['source']:<14} {counts}" + (f" ({'; '.join(extra)})" if extra else "")


def summary_text(runs: list[dict], alerts: list[dict], day: str, db_totals: dict | None = None) -> str:
    """The daily summary an operator reads: one line per run, then the alerts."""
    failed = [r for r in runs if r.get("status") != "ok"]
    lines = [f"{TITLE}: daily summary {day}",
             f"Crawls: {len(runs)} run(s), {len(failed)} not ok" if runs else "Crawls: none"]
    lines += [run_line(r) for r in runs]
    shown = alerts[:MAX_ALERTS_IN_MESSAGE]
    lines.append(f"Alerts: {len(alerts)}" if alerts else "Alerts: none")
    lines += [f"  [{a['kind']}] {a['message']}" for a in shown]
    if len(alerts) > len(shown):
        lines.append(f"  ... and {len(alerts) - len(shown)} more (table alerts)")
    if db_totals:
        lines.append(f"Database: {db_totals['posts']} posts, {db_totals['lenders']} lenders with complaints")
    return "\n".join(lines) + "\n"


def subject_line(runs: list[dict], alerts: list[dict], day: str) -> str:
    failed = sum(1 for r in runs if r.get("status") != "ok")
    return f"[催收观察] {day}: {len(runs)} run(s), {failed} failed, {len(alerts)} alert(s)"


def payload(runs: list[dict], alerts: list[dict], text: str, day: str) -> dict:
    return {
        "text": text,
        "day": day,
        "failed_sources": sorted({r["source"] for r in runs if r.get("status") != "ok"}),
        "runs": runs,
        "alerts": alerts[:MAX_ALERTS_IN_MESSAGE],
        "alerts_total": len(alerts),
    }


# ---------------------------------------------------------------- delivery
def post_webhook(hook: Webhook, body: dict, timeout: float = 15) -> int:
    """POST `body` as JSON; returns the HTTP status, raises NotifyError on failure."""
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(hook.url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "CuishouWatch/0.1"})
    if hook.token:
        request.add_header("Authorization", f"Bearer {hook.token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise NotifyError(f"webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise NotifyError(f"webhook unreachable: {getattr(exc, 'reason', exc)}") from exc


def send_email(smtp: Smtp, subject: str, body: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message.set_content(body)          # UTF-8, so the Chinese names survive
    try:
        if smtp.tls == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyError(f"e-mail via {smtp.host}:{smtp.port} failed: {exc}") from exc


def notify(db_path: str | Path, since: str, day: str, env: dict, log=print) -> Report:
    """Send the summary of the runs started since `since` and the pending alerts."""
    from pipelines.store import Store

    store = Store(db_path)
    try:
        conn = sqlite3.connect(str(db_path), timeout=60)
        try:
            runs, alerts = runs_since(conn, since), pending_alerts(conn)
            conn.row_factory = None
            text = summary_text(runs, alerts, day, totals(conn))
        finally:
            conn.close()
        report = Report(text=text, alerts=len(alerts))
        channels = []
        try:
            hook, smtp = webhook_from_env(env), smtp_from_env(env)
        except ValueError as exc:
            report.failed["config"] = str(exc)
            log(f"notify: {exc}")
            return report
        if hook:
            channels.append(("webhook", lambda: post_webhook(hook, payload(runs, alerts, text, day))))
        if smtp:
            channels.append(("email", lambda: send_email(smtp, subject_line(runs, alerts, day), text)))
        if not channels:
            log("notify: no channel configured (CUISHOU_WEBHOOK_URL, CUISHOU_SMTP_HOST); summary:")
            log(text)
            return report
        for name, send in channels:
            try:
                send()
                report.sent.append(name)
                log(f"notify: {name} sent ({len(alerts)} alert(s))")
            except NotifyError as exc:
                report.failed[name] = str(exc)
                log(f"notify: {name} FAILED: {exc}")
        if not report.failed:
            store.mark_alerts_notified([a["id"] for a in alerts[:MAX_ALERTS_IN_MESSAGE]])
        return report
    finally:
        store.close()
