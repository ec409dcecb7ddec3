"""The spidermon suite (scraper/monitors.py) judging a closing crawl: each monitor fires
on a bad run and stays silent on a good one, and each failure is an alerts row.

The suite runs here exactly as Spidermon runs it at spider_closed (SpiderMonitorRunner,
a real Crawler with the project's settings, a real SQLite database with the source's
history); tests/test_monitors_crawl.py checks the same through real crawl processes."""
from __future__ import annotations

import pytest
import scrapy
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

import scraper.settings as project_settings
from pipelines.store import Store
from scraper.monitors import SpiderCloseSuite, coverage_drops
from tests.test_run_daily_support import rows

pytestmark = pytest.mark.filterwarnings(r"ignore:Spider.log\(\) is deprecated")

SOURCE = "demo"
HEALTHY = {
    "finish_reason": "finished",
    "item_scraped_count": 40,
    "downloader/request_count": 50,
    "downloader/response_count": 50,
    "downloader/response_status_count/200": 50,
    "cuishou/coverage_items": 40,
    "cuishou/coverage/title": 1.0,
    "cuishou/coverage/published_at": 0.95,
    "cuishou/coverage/body": 1.0,
    "cuishou/coverage/lender": 0.9,
}


def project(**overrides) -> dict:
    settings = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    return {**settings, **overrides}


def add_history(db, items: list[int], coverage: dict | None = None, status: str = "ok") -> None:
    store = Store(db)
    try:
        for count in items:
            run_id = store.start_run(SOURCE)
            stats = {"item_scraped_count": count,
                     **{f"cuishou/coverage/{k}": v for k, v in (coverage or {}).items()}}
            store.finish_run(run_id, status=status, items=count, stats_json=stats)
    finally:
        store.close()


def judge(db, stats: dict, **settings):
    """Run the close suite on a crawl with these stats; returns (alerts rows, crawler stats)."""
    crawler = get_crawler(scrapy.Spider, project(CUISHOU_DB=str(db), **settings))
    spider = scrapy.Spider(name="articles")
    spider.source_name = SOURCE
    crawler.stats.set_stats(dict(stats))
    store = Store(db)
    run_id = store.start_run(SOURCE)       # the closing run, as the item pipeline opened it
    store.close()
    crawler.stats.set_value("cuishou/run_id", run_id)
    SpiderMonitorRunner(spider=spider).run(
        SpiderCloseSuite(crawler=crawler), stats=crawler.stats.get_stats(), crawler=crawler,
        spider=spider, stats_history=[], job=None)
    alerts = rows(db, "SELECT kind, source, message, run_id FROM alerts ORDER BY id")
    assert all(a["run_id"] == run_id and a["source"] == SOURCE for a in alerts)
    return alerts, crawler.stats.get_stats()


def kinds(alerts) -> list[str]:
    return [a["kind"] for a in alerts]


def test_a_healthy_run_raises_no_alert(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 38, 42], coverage={"title": 1.0, "published_at": 0.95, "body": 1.0, "lender": 0.9})
    alerts, stats = judge(db, HEALTHY)
    assert alerts == []
    assert "cuishou/monitors_failed" not in stats


# -- finish reason -------------------------------------------------------------

def test_unexpected_finish_reason_fires(tmp_path):
    alerts, stats = judge(tmp_path / "c.db", {**HEALTHY, "finish_reason": "shutdown"})
    assert kinds(alerts) == ["finish_reason"]
    assert "shutdown" in alerts[0]["message"]
    assert stats["cuishou/monitors_failed"] == "finish_reason"


def test_closespider_pagecount_is_an_expected_finish(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "finish_reason": "closespider_pagecount"})
    assert alerts == []


# -- item count ------------------------------------------------------------------

def test_zero_items_fires(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "item_scraped_count": 0, "cuishou/coverage_items": 0})
    assert kinds(alerts) == ["item_count"]
    assert "0 items scraped" in alerts[0]["message"]


def test_far_fewer_items_than_the_recent_median_fires(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 44, 38, 41, 39])
    alerts, _ = judge(db, {**HEALTHY, "item_scraped_count": 12})
    assert kinds(alerts) == ["item_count"]
    assert "below 0.5 x the median 40" in alerts[0]["message"] and "last 5 ok runs" in alerts[0]["message"]


def test_somewhat_fewer_items_stay_silent(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 44, 38, 41, 39])
    alerts, _ = judge(db, {**HEALTHY, "item_scraped_count": 25})
    assert alerts == []


def test_history_is_the_last_seven_ok_runs_only(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [400] * 5)                        # old, bigger runs
    add_history(db, [0, 0], status="failed")          # failed runs are not the usual level
    add_history(db, [20] * 7)
    alerts, _ = judge(db, {**HEALTHY, "item_scraped_count": 15})
    assert alerts == []


def test_too_little_history_is_not_judged(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 40])
    alerts, _ = judge(db, {**HEALTHY, "item_scraped_count": 3})
    assert alerts == []


def test_threshold_comes_from_settings(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 40, 40])
    alerts, _ = judge(db, {**HEALTHY, "item_scraped_count": 25}, CUISHOU_MONITOR_MIN_ITEMS_RATIO=0.8)
    assert kinds(alerts) == ["item_count"]


# -- error and ban rates ---------------------------------------------------------

def test_error_rate_fires(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "log_count/ERROR": 8})
    assert kinds(alerts) == ["error_rate"]
    assert "8 errors in 50 requests (16%)" in alerts[0]["message"]


def test_few_errors_stay_silent(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "log_count/ERROR": 2})
    assert alerts == []


def test_rates_need_enough_requests(tmp_path):
    small = {**HEALTHY, "downloader/request_count": 4, "downloader/response_count": 4,
             "downloader/response_status_count/403": 2, "log_count/ERROR": 2, "item_scraped_count": 2,
             "cuishou/coverage_items": 2}
    alerts, _ = judge(tmp_path / "c.db", small)
    assert alerts == []


def test_ban_rate_fires_and_marks_the_run_blocked(tmp_path):
    alerts, stats = judge(tmp_path / "c.db", {**HEALTHY, "downloader/response_status_count/200": 35,
                                              "downloader/response_status_count/403": 10,
                                              "downloader/response_status_count/429": 5})
    assert kinds(alerts) == ["ban_rate"]
    assert "15 of 50 responses were bans" in alerts[0]["message"]
    assert stats["cuishou/status"] == "blocked" and "ban" in stats["cuishou/reason"]


def test_platform_blocked_verdicts_count_as_bans(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "cuishou/responses/list/blocked": 8})
    assert kinds(alerts) == ["ban_rate"]


def test_a_crawl_stopped_as_blocked_fires_without_overwriting_its_reason(tmp_path):
    alerts, stats = judge(tmp_path / "c.db", {**HEALTHY, "finish_reason": "blocked: heimao list: HTTP 456",
                                              "cuishou/status": "blocked", "cuishou/reason": "heimao list: HTTP 456"})
    assert sorted(kinds(alerts)) == ["ban_rate", "finish_reason"]
    assert stats["cuishou/reason"] == "heimao list: HTTP 456"


def test_an_occasional_403_stays_silent(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "downloader/response_status_count/403": 2})
    assert alerts == []


# -- field coverage --------------------------------------------------------------

def test_coverage_drop_fires_and_marks_the_layout_changed(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 40, 40], coverage={"title": 1.0, "published_at": 0.97, "body": 1.0, "lender": 0.9})
    alerts, stats = judge(db, {**HEALTHY, "cuishou/coverage/published_at": 0.1, "cuishou/coverage/lender": 0.3})
    assert kinds(alerts) == ["field_coverage"]
    assert "date 10% (usually 97%)" in alerts[0]["message"]
    assert "subject lender 30% (usually 90%)" in alerts[0]["message"]
    assert stats["cuishou/status"] == "layout_changed"


def test_small_coverage_changes_stay_silent(tmp_path):
    db = tmp_path / "c.db"
    add_history(db, [40, 40, 40], coverage={"title": 1.0, "published_at": 0.97, "body": 1.0, "lender": 0.9})
    alerts, _ = judge(db, {**HEALTHY, "cuishou/coverage/published_at": 0.8, "cuishou/coverage/lender": 0.7})
    assert alerts == []


def test_coverage_drops_is_relative_to_the_median():
    history = [{"cuishou/coverage/title": v} for v in (1.0, 0.2, 0.95)]
    assert coverage_drops({"cuishou/coverage/title": 0.5}, history, ["title"], 0.3, 3) == ["title 50% (usually 95%)"]
    assert coverage_drops({"cuishou/coverage/title": 0.7}, history, ["title"], 0.3, 3) == []
    assert coverage_drops({"cuishou/coverage/title": 0.1}, history[:2], ["title"], 0.3, 3) == []


# -- validation ------------------------------------------------------------------

def test_many_quarantined_items_fire(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "cuishou/quarantined": 9})
    assert kinds(alerts) == ["validation"]
    assert "9 of 40 items failed validation" in alerts[0]["message"]


def test_one_quarantined_item_stays_silent(tmp_path):
    alerts, _ = judge(tmp_path / "c.db", {**HEALTHY, "cuishou/quarantined": 1})
    assert alerts == []


def test_several_failures_are_one_alert_each(tmp_path):
    alerts, stats = judge(tmp_path / "c.db", {**HEALTHY, "finish_reason": "memusage_exceeded",
                                              "log_count/ERROR": 30, "cuishou/quarantined": 20})
    assert sorted(kinds(alerts)) == ["error_rate", "finish_reason", "validation"]
    assert stats["cuishou/monitors_failed"] == "error_rate,finish_reason,validation"
