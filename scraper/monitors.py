"""Spidermon monitors that judge each crawl when it closes; every failure becomes an
`alerts` row (and the run's `monitors_failed` column).

One monitor checks one thing and says what it expected. Thresholds are Scrapy
settings (scraper/settings.py, `CUISHOU_MONITOR_*`), so a source or a test can
change them with `-s`:

| monitor (alert kind)   | fails when                                                                  |
|------------------------|-----------------------------------------------------------------------------|
| FinishReason           | the finish reason is not in SPIDERMON_EXPECTED_FINISH_REASONS (spidermon's) |
| (finish_reason)        |                                                                             |
| ItemCount (item_count) | no item at all; or fewer than MIN_ITEMS_RATIO x the median items of the     |
|                        | source's last HISTORY_RUNS ok runs (judged once MIN_HISTORY runs exist)     |
| ErrorRate (error_rate) | ERROR log lines / requests > MAX_ERROR_RATE (from MIN_REQUESTS requests)    |
| BanRate (ban_rate)     | the platform guard stopped the crawl as blocked; or responses with a        |
|                        | BAN_STATUSES code or a blocked verdict / responses > MAX_BAN_RATE            |
| FieldCoverage          | the share of items with a title / date / body / subject lender fell more    |
| (field_coverage)       | than COVERAGE_MAX_DROP below its median over the recent ok runs             |
| Validation (validation)| quarantined items / items > MAX_QUARANTINE_RATE                              |

History is the source's own `crawl_runs` rows with status `ok` (their `items` and the
`cuishou/coverage/*` values kept in `stats_json`), read from the crawl database.

`CoverageStats` (an extension) counts the filled fields: title, published_at and body
on every item the spider yields, and the subject lender from the posts this run stored
or saw again (the lender is found by the item pipeline, so it is read back from SQLite).
"""
from __future__ import annotations

import json
import sqlite3
import statistics
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor
from spidermon.core.actions import Action

ITEM_FIELDS = ("title", "published_at", "body")
COVERAGE_STAT = "cuishou/coverage/{}"
FIELD_LABELS = {"title": "title", "published_at": "date", "body": "body", "lender": "subject lender"}

# run status a failed monitor implies, when the crawl itself did not set one
STATUS_FOR_KIND = {"ban_rate": "blocked", "field_coverage": "layout_changed"}


# ---------------------------------------------------------------- reading the history
def read_only(db_path: str | Path) -> sqlite3.Connection | None:
    """A read-only connection, or None when the database does not exist yet."""
    path = Path(db_path)
    if not path.exists():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def recent_ok_runs(db_path: str | Path, source: str, limit: int) -> list[dict]:
    """The source's last `limit` finished runs with status ok, newest first:
    {"items": int, "stats": dict}."""
    conn = read_only(db_path)
    if conn is None:
        return []
    try:
        rows = conn.execute(
            "SELECT items, stats_json FROM crawl_runs WHERE source = ? AND status = 'ok' "
            "AND finished IS NOT NULL ORDER BY id DESC LIMIT ?", (source, limit)).fetchall()
    except sqlite3.OperationalError:      # a database without crawl_runs yet
        return []
    finally:
        conn.close()
    return [{"items": r["items"] or 0, "stats": json.loads(r["stats_json"] or "{}")} for r in rows]


def lender_coverage(db_path: str | Path, sources: set[str], since: str) -> tuple[int, int]:
    """(posts with a subject lender, posts) among the posts of `sources` stored or seen
    again since `since` (ISO 8601, UTC)."""
    conn = read_only(db_path)
    if conn is None or not sources:
        return 0, 0
    marks = ",".join("?" * len(sources))
    try:
        row = conn.execute(
            f"SELECT count(*), sum(EXISTS (SELECT 1 FROM post_lenders pl WHERE pl.post_id = p.id "
            f"AND pl.role = 'subject')) FROM posts p WHERE p.source IN ({marks}) AND p.last_seen >= ?",
            (*sorted(sources), since)).fetchone()
    except sqlite3.OperationalError:
        return 0, 0
    finally:
        conn.close()
    return int(row[1] or 0), int(row[0] or 0)


def is_filled(value) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def source_of(spider) -> str:
    """The name crawl_runs uses for this crawl (as scraper/pipelines.py writes it)."""
    return getattr(spider, "source_name", None) or spider.name


# ---------------------------------------------------------------- extension
class CoverageStats:
    """Counts filled fields per item and, at close, writes `cuishou/coverage/<field>`
    (0..1) into the stats; it runs before Spidermon's monitors (lower EXTENSIONS order)."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def item_scraped(self, item, response, spider):
        if item.get("removed"):
            return
        stats = self.crawler.stats
        stats.inc_value("cuishou/coverage_items")
        for field in ITEM_FIELDS:
            if is_filled(item.get(field)):
                stats.inc_value(f"cuishou/filled/{field}")

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        items = stats.get_value("cuishou/coverage_items", 0)
        if items:
            for field in ITEM_FIELDS:
                stats.set_value(COVERAGE_STAT.format(field),
                                round(stats.get_value(f"cuishou/filled/{field}", 0) / items, 4))
        start = stats.get_value("start_time")
        if start is None:
            return
        names = {source_of(spider), getattr(spider, "source", None)} - {None, ""}
        with_lender, posts = lender_coverage(self.crawler.settings.get("CUISHOU_DB"), names, utc_iso(start))
        if posts:
            stats.set_value("cuishou/coverage_posts", posts)
            stats.set_value(COVERAGE_STAT.format("lender"), round(with_lender / posts, 4))


# ---------------------------------------------------------------- monitors
class CuishouMonitor(Monitor):
    """Base: settings, the source's history and the stats of the closing crawl."""

    alert_kind = "monitor"
    longMessage = False

    @property
    def crawler(self):
        return self.data.crawler

    @property
    def stats(self):
        return self.data.stats

    @property
    def source(self) -> str:
        return source_of(self.data.spider)

    def setting(self, name: str, kind=float):
        settings = self.crawler.settings
        return {int: settings.getint, float: settings.getfloat, list: settings.getlist}[kind](name)

    def history(self) -> list[dict]:
        if not hasattr(self, "_history"):
            self._history = recent_ok_runs(self.crawler.settings.get("CUISHOU_DB"), self.source,
                                           self.setting("CUISHOU_MONITOR_HISTORY_RUNS", int))
        return self._history

    def enough_history(self, runs: list) -> bool:
        return len(runs) >= self.setting("CUISHOU_MONITOR_MIN_HISTORY", int)


@monitors.name("FinishReason")
class FinishReason(FinishReasonMonitor):
    """The crawl finished for an expected reason (spidermon's FinishReasonMonitor)."""

    alert_kind = "finish_reason"


@monitors.name("ItemCount")
class ItemCount(CuishouMonitor):
    """The crawl scraped items, and not far fewer than the source usually does."""

    alert_kind = "item_count"

    def test_some_items(self):
        items = self.stats.get("item_scraped_count", 0)
        self.assertGreater(items, 0, msg=f"0 items scraped (finish reason {self.stats.get('finish_reason')!r}, "
                                         f"{self.stats.get('downloader/request_count', 0)} requests); "
                                         "expected at least 1")

    def test_not_below_recent_history(self):
        runs = self.history()
        if not self.enough_history(runs):
            self.skipTest(f"{len(runs)} earlier ok runs; the comparison needs "
                          f"{self.setting('CUISHOU_MONITOR_MIN_HISTORY', int)}")
        usual = statistics.median(r["items"] for r in runs)
        ratio = self.setting("CUISHOU_MONITOR_MIN_ITEMS_RATIO")
        items = self.stats.get("item_scraped_count", 0)
        self.assertGreaterEqual(
            items, ratio * usual,
            msg=f"{items} items scraped, below {ratio:g} x the median {usual:g} of the last {len(runs)} ok runs")


@monitors.name("ErrorRate")
class ErrorRate(CuishouMonitor):
    """Few errors per request."""

    alert_kind = "error_rate"

    def test_error_rate(self):
        requests = self.stats.get("downloader/request_count", 0)
        if requests < self.setting("CUISHOU_MONITOR_MIN_REQUESTS", int):
            self.skipTest(f"only {requests} requests")
        errors = self.stats.get("log_count/ERROR", 0)
        limit = self.setting("CUISHOU_MONITOR_MAX_ERROR_RATE")
        self.assertLessEqual(errors / requests, limit,
                             msg=f"{errors} errors in {requests} requests ({errors / requests:.0%}), "
                                 f"more than the allowed {limit:.0%}")


def ban_responses(stats: dict, ban_statuses: list) -> int:
    """Responses that say 'go away': ban status codes, and the platform guard's blocked verdicts."""
    coded = sum(stats.get(f"downloader/response_status_count/{code}", 0) for code in ban_statuses)
    verdicts = sum(v for k, v in stats.items() if k.startswith("cuishou/responses/") and k.endswith("/blocked"))
    return coded + verdicts


@monitors.name("BanRate")
class BanRate(CuishouMonitor):
    """The site did not block the crawler."""

    alert_kind = "ban_rate"

    def test_not_blocked(self):
        self.assertNotEqual(self.stats.get("cuishou/status"), "blocked",
                            msg=f"the crawl was stopped as blocked: {self.stats.get('cuishou/reason')}")

    def test_ban_rate(self):
        responses = self.stats.get("downloader/response_count", 0)
        if responses < self.setting("CUISHOU_MONITOR_MIN_REQUESTS", int):
            self.skipTest(f"only {responses} responses")
        codes = [int(c) for c in self.setting("CUISHOU_MONITOR_BAN_STATUSES", list)]
        banned = ban_responses(self.stats, codes)
        limit = self.setting("CUISHOU_MONITOR_MAX_BAN_RATE")
        self.assertLessEqual(banned / responses, limit,
                             msg=f"{banned} of {responses} responses were bans (HTTP {codes} or a blocked "
                                 f"page, {banned / responses:.0%}), more than the allowed {limit:.0%}")


def coverage_drops(current: dict, history: list[dict], fields: list[str], max_drop: float,
                   min_history: int) -> list[str]:
    """Fields whose coverage fell more than `max_drop` below their median in `history`
    (stats dicts of earlier runs), each as a readable line."""
    drops = []
    for field in fields:
        key = COVERAGE_STAT.format(field)
        now = current.get(key)
        earlier = [s[key] for s in history if s.get(key) is not None]
        if now is None or len(earlier) < min_history:
            continue
        usual = statistics.median(earlier)
        if now < usual - max_drop:
            drops.append(f"{FIELD_LABELS.get(field, field)} {now:.0%} (usually {usual:.0%})")
    return drops


@monitors.name("FieldCoverage")
class FieldCoverage(CuishouMonitor):
    """Title, date, body and subject lender are found as often as usual (else the layout changed)."""

    alert_kind = "field_coverage"

    def test_coverage_did_not_drop(self):
        items = self.stats.get("cuishou/coverage_items", 0)
        if items < self.setting("CUISHOU_MONITOR_COVERAGE_MIN_ITEMS", int):
            self.skipTest(f"only {items} items")
        max_drop = self.setting("CUISHOU_MONITOR_COVERAGE_MAX_DROP")
        drops = coverage_drops(self.stats, [r["stats"] for r in self.history()],
                               self.setting("CUISHOU_MONITOR_COVERAGE_FIELDS", list), max_drop,
                               self.setting("CUISHOU_MONITOR_MIN_HISTORY", int))
        self.assertFalse(drops, msg=f"field coverage dropped by more than {max_drop:.0%}: " + ", ".join(drops))


@monitors.name("Validation")
class Validation(CuishouMonitor):
    """Few items fail validation (they go to quarantine)."""

    alert_kind = "validation"

    def test_quarantine_rate(self):
        items = self.stats.get("item_scraped_count", 0)
        if not items:
            self.skipTest("no items")
        quarantined = self.stats.get("cuishou/quarantined", 0)
        limit = self.setting("CUISHOU_MONITOR_MAX_QUARANTINE_RATE")
        self.assertLessEqual(quarantined / items, limit,
                             msg=f"{quarantined} of {items} items failed validation and were quarantined "
                                 f"({quarantined / items:.0%}), more than the allowed {limit:.0%}")


# ---------------------------------------------------------------- action and suite
def failure_reason(result) -> str:
    """The assertion message of a failed monitor, or the last line of its traceback."""
    if getattr(result, "reason", None):
        return str(result.reason)
    lines = [line for line in (result.error or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "monitor error"


class RecordAlerts(Action):
    """Each failed monitor -> one alerts row; the failures also go into the stats the item
    pipeline writes to crawl_runs (monitors_failed, and a status for bans/layout changes)."""

    def run_action(self):
        from pipelines.store import Store   # import here: Scrapy loads this module early

        crawler, spider = self.data.crawler, self.data.spider
        stats = crawler.stats
        source = source_of(spider)
        run_id = stats.get_value("cuishou/run_id")
        failed = []
        for result in self.result.monitors_failed_results:
            monitor = result.item
            kind = getattr(monitor, "alert_kind", "monitor")
            failed.append((kind, f"{source}: {monitor.monitor_name}: {failure_reason(result)}"))
        kinds = sorted({kind for kind, _ in failed})
        stats.set_value("cuishou/monitors_failed", ",".join(kinds))
        for kind in kinds:
            if kind in STATUS_FOR_KIND and not stats.get_value("cuishou/status"):
                stats.set_value("cuishou/status", STATUS_FOR_KIND[kind])
                stats.set_value("cuishou/reason", next(m for k, m in failed if k == kind))
        store = Store(crawler.settings.get("CUISHOU_DB"))
        try:
            for kind, message in failed:
                store.add_alert(kind, message, source=source, run_id=run_id)
        finally:
            store.close()


class SpiderCloseSuite(MonitorSuite):
    monitors = [FinishReason, ItemCount, ErrorRate, BanRate, FieldCoverage, Validation]
    monitors_failed_actions = [RecordAlerts]
