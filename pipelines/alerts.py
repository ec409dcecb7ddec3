"""Content alerts after each daily run, computed by reading the crawl database:

- new_lender: a lender whose first complaint arrived in the last days;
- spike:      a lender with more complaints in the last 7 days than its usual level;
- new_tactic: a tactic attributed to an established lender for the first time
              (e.g. the first 冒充公检法 for 安逸花).

A complaint is a post that names the lender as its *subject* (a sidebar mention is not a
complaint about it); copies of one story (posts.story_id) count once. Thresholds live
in pipelines/alert_rules.yml. Each finding is written once (alerts.dedup_key) through
pipelines.store.Store.add_alert.

The spike statistic. Complaints per lender per week are small counts, mostly 0, 1 or 2.
A z-score needs a standard deviation, which is 0 or tiny for such series (any complaint
becomes "infinitely" unusual), and a median is 0 for most lenders. Complaint arrivals
are well described as a Poisson process, so we ask how surprising this window's count k
is under the lender's usual rate: lambda = mean count of the 8 windows of 7 days before
this one (at least 0.5, so a lender with no history is not divided by zero), and
p = P(X >= k | Poisson(lambda)). A spike needs p <= 1%, k >= 3 (1 -> 2 complaints is
never a story) and k >= 2 x lambda (a big lender rising 20% is significant but not news).
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

RULES_FILE = Path(__file__).with_name("alert_rules.yml")


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    message: str
    lender_id: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class SpikeTest:
    count: int
    usual: float          # lambda: the mean of the earlier windows (floored)
    p_value: float        # P(X >= count) under Poisson(usual)
    is_spike: bool


# ---------------------------------------------------------------- rules and pure statistics
def load_rules(path: str | Path | None = None) -> dict:
    path = Path(path or RULES_FILE)
    try:
        rules = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such alert rules file")
    for section in ("new_lender", "spike", "new_tactic"):
        if not isinstance(rules.get(section), dict):
            raise ValueError(f"{path}: section '{section}' is missing")
    ZoneInfo(rules.setdefault("timezone", "Asia/Shanghai"))
    return rules


def poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam): poisson_tail(9, 1.1) ~ 2e-06."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


def spike_test(count: int, earlier_counts: list[int], rules: dict) -> SpikeTest:
    """Is `count` (this window) a spike against `earlier_counts` (the windows before)?"""
    usual = max(sum(earlier_counts) / len(earlier_counts) if earlier_counts else 0.0,
                float(rules["baseline_floor"]))
    p = poisson_tail(count, usual)
    spike = count >= rules["min_count"] and count >= rules["min_ratio"] * usual and p <= rules["max_p"]
    return SpikeTest(count, usual, p, spike)


def window_counts(days: list[date], today: date, window_days: int, windows: int) -> list[int]:
    """Counts of `days` in consecutive windows ending today: [this window, the one before, ...]."""
    counts = [0] * windows
    for day in days:
        index = (today - day).days // window_days
        if 0 <= index < windows:
            counts[index] += 1
    return counts


def local_day(stamp: str | None, tz: ZoneInfo) -> date | None:
    """'2026-11-30T20:00:00+00:00' -> 2026-12-01 in Asia/Shanghai; a date without a zone is
    taken as local; None or garbage -> None."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(stamp.strip()[:10])
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.date()


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- reading the database
SUBJECT_POSTS = """
    SELECT pl.lender_id, COALESCE(p.story_id, p.id) AS story, p.published_at, p.first_seen,
           p.url, p.source, p.is_template
    FROM post_lenders pl JOIN posts p ON p.id = pl.post_id
    WHERE pl.role = 'subject'
"""


def complaint_days(conn: sqlite3.Connection, tz: ZoneInfo, skip_templates: bool,
                   since: date) -> dict[int, list[date]]:
    """Per lender, the day of each of its complaint stories on or after `since`."""
    earliest: dict[tuple[int, int], date] = {}
    cutoff = (since - timedelta(days=1)).isoformat()     # string prefilter; exact test below
    rows = conn.execute(SUBJECT_POSTS + " AND substr(COALESCE(p.published_at, p.first_seen), 1, 10) >= ?",
                        (cutoff,))
    for row in rows:
        if skip_templates and row["is_template"]:
            continue
        day = local_day(row["published_at"], tz) or local_day(row["first_seen"], tz)
        if day is None or day < since:
            continue
        key = (row["lender_id"], row["story"])
        earliest[key] = min(day, earliest.get(key, day))
    per_lender: dict[int, list[date]] = {}
    for (lender_id, _), day in earliest.items():
        per_lender.setdefault(lender_id, []).append(day)
    return per_lender


def lender_names(conn: sqlite3.Connection) -> dict[int, tuple[str, bool]]:
    return {r["id"]: (r["name"], bool(r["known"])) for r in conn.execute("SELECT id, name, known FROM lenders")}


def recent_alert_exists(conn: sqlite3.Connection, kind: str, lender_id: int, since: str) -> bool:
    return conn.execute("SELECT 1 FROM alerts WHERE kind = ? AND lender_id = ? AND created >= ? LIMIT 1",
                        (kind, lender_id, since)).fetchone() is not None


# ---------------------------------------------------------------- the three checks
def find_spikes(conn: sqlite3.Connection, now: datetime, rules: dict) -> list[Finding]:
    spike = rules["spike"]
    tz = ZoneInfo(rules["timezone"])
    today = now.astimezone(tz).date()
    size, windows = int(spike["window_days"]), int(spike["baseline_windows"]) + 1
    since = today - timedelta(days=size * windows - 1)
    names = lender_names(conn)
    cooldown = utc_iso(now - timedelta(days=int(spike["cooldown_days"])))
    findings = []
    for lender_id, days in sorted(complaint_days(conn, tz, bool(spike.get("skip_templates", True)), since).items()):
        counts = window_counts(days, today, size, windows)
        test = spike_test(counts[0], counts[1:], spike)
        if not test.is_spike or recent_alert_exists(conn, "spike", lender_id, cooldown):
            continue
        name = names.get(lender_id, (f"lender {lender_id}", True))[0]
        first = today - timedelta(days=size - 1)
        findings.append(Finding(
            "spike", f"spike:{lender_id}:{today.isoformat()}",
            f"Spike: {name} has {test.count} complaints in the {size} days {first}..{today}, usually "
            f"{test.usual:.1f} per {size} days (mean of the {windows - 1} windows before); "
            f"Poisson P(X>={test.count} | {test.usual:.1f}) = {test.p_value:.1e}",
            lender_id=lender_id))
    return findings


def find_new_lenders(conn: sqlite3.Connection, now: datetime, rules: dict) -> list[Finding]:
    cutoff = utc_iso(now - timedelta(days=int(rules["new_lender"]["lookback_days"])))
    rows = conn.execute(
        "SELECT pl.lender_id, l.name, l.known, min(p.first_seen) AS first_at, "
        "count(DISTINCT COALESCE(p.story_id, p.id)) AS complaints "
        "FROM post_lenders pl JOIN posts p ON p.id = pl.post_id JOIN lenders l ON l.id = pl.lender_id "
        "WHERE pl.role = 'subject' GROUP BY pl.lender_id HAVING first_at >= ? ORDER BY first_at, pl.lender_id",
        (cutoff,)).fetchall()
    findings = []
    for row in rows:
        post = conn.execute(
            "SELECT p.url, p.source, p.published_at FROM post_lenders pl JOIN posts p ON p.id = pl.post_id "
            "WHERE pl.lender_id = ? AND pl.role = 'subject' ORDER BY p.first_seen, p.id LIMIT 1",
            (row["lender_id"],)).fetchone()
        tactics = [f"{r['name_zh'] or r['code']} {r['code']}" for r in conn.execute(
            "SELECT DISTINCT pt.tactic_code AS code, t.name_zh FROM post_tactics pt "
            "JOIN post_lenders pl ON pl.post_id = pt.post_id AND pl.role = 'subject' "
            "LEFT JOIN tactics t ON t.code = pt.tactic_code WHERE pl.lender_id = ? ORDER BY pt.tactic_code",
            (row["lender_id"],))]
        origin = "in the registry" if row["known"] else "discovered, not in the registry"
        findings.append(Finding(
            "new_lender", f"new_lender:{row['lender_id']}",
            f"New lender {row['name']} ({origin}): {row['complaints']} complaint(s), first seen "
            f"{row['first_at'][:10]} at {post['url']} (source {post['source']}"
            f"{', published ' + post['published_at'][:10] if post['published_at'] else ''})"
            + (f"; tactics: {', '.join(tactics)}" if tactics else ""),
            lender_id=row["lender_id"], source=post["source"]))
    return findings


def find_new_tactics(conn: sqlite3.Connection, now: datetime, rules: dict) -> list[Finding]:
    cutoff = utc_iso(now - timedelta(days=int(rules["new_tactic"]["lookback_days"])))
    rows = conn.execute(
        "SELECT pl.lender_id, l.name, pt.tactic_code AS code, t.name_zh, min(p.first_seen) AS first_at "
        "FROM post_tactics pt JOIN posts p ON p.id = pt.post_id "
        "JOIN post_lenders pl ON pl.post_id = p.id AND pl.role = 'subject' "
        "JOIN lenders l ON l.id = pl.lender_id LEFT JOIN tactics t ON t.code = pt.tactic_code "
        "GROUP BY pl.lender_id, pt.tactic_code HAVING first_at >= ? "
        "AND (SELECT min(p2.first_seen) FROM post_lenders pl2 JOIN posts p2 ON p2.id = pl2.post_id "
        "     WHERE pl2.lender_id = pl.lender_id AND pl2.role = 'subject') < ? "
        "ORDER BY first_at, pl.lender_id, code", (cutoff, cutoff)).fetchall()
    findings = []
    for row in rows:
        hit = conn.execute(
            "SELECT pt.evidence, p.url, p.source FROM post_tactics pt JOIN posts p ON p.id = pt.post_id "
            "JOIN post_lenders pl ON pl.post_id = p.id AND pl.role = 'subject' "
            "WHERE pl.lender_id = ? AND pt.tactic_code = ? ORDER BY p.first_seen, p.id LIMIT 1",
            (row["lender_id"], row["code"])).fetchone()
        evidence = (hit["evidence"] or "").strip()
        if len(evidence) > 120:
            evidence = evidence[:119] + "…"
        findings.append(Finding(
            "new_tactic", f"new_tactic:{row['lender_id']}:{row['code']}",
            f"New tactic for {row['name']}: {row['name_zh'] or row['code']} ({row['code']}), first seen "
            f"{row['first_at'][:10]}: “{evidence}” {hit['url']}",
            lender_id=row["lender_id"], source=hit["source"]))
    return findings


def find_all(conn: sqlite3.Connection, now: datetime, rules: dict) -> list[Finding]:
    return find_new_lenders(conn, now, rules) + find_spikes(conn, now, rules) + find_new_tactics(conn, now, rules)


def check(db_path: str | Path, now: datetime | None = None, rules: dict | None = None,
          log=print) -> list[int]:
    """Find the content alerts and write the new ones; returns the ids of the rows written."""
    from pipelines.store import Store

    now = now or datetime.now(timezone.utc)
    rules = rules or load_rules()
    store = Store(db_path)               # creates the database and its schema if needed
    try:
        conn = sqlite3.connect(str(db_path), timeout=60)
        conn.row_factory = sqlite3.Row
        try:
            findings = find_all(conn, now, rules)
        finally:
            conn.close()
        written = []
        for finding in findings:
            alert_id = store.add_alert(finding.kind, finding.message, source=finding.source,
                                       lender_id=finding.lender_id, key=finding.key)
            if alert_id is not None:
                written.append(alert_id)
                log(f"alert [{finding.kind}] {finding.message}")
        return written
    finally:
        store.close()
