"""The monitors inside real crawl processes: a healthy crawl records its field coverage
and raises nothing; a changed layout and a ban become alerts rows and run statuses."""
from __future__ import annotations

import pytest

from pipelines.store import Store
from tests.test_run_daily_support import Site, crawl, rows, stats_of


def only_run(db, source):
    runs = rows(db, "SELECT * FROM crawl_runs WHERE source = ? ORDER BY id", source)
    return runs[-1]


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    db = tmp_path_factory.mktemp("healthy") / "c.db"
    with Site(8) as site:
        done = crawl(db, site, "good")
    assert done.returncode == 0, done.stderr[-2000:]
    return db


def test_healthy_crawl_records_coverage_and_raises_nothing(healthy):
    run = only_run(healthy, "good")
    assert run["status"] == "ok" and run["items"] == 8 and run["monitors_failed"] is None
    stats = stats_of(run)
    for field in ("title", "published_at", "body", "lender"):
        assert stats[f"cuishou/coverage/{field}"] == 1.0, field
    assert stats["cuishou/coverage_posts"] == 8
    assert rows(healthy, "SELECT * FROM alerts") == []


def test_layout_change_is_an_alert_and_a_run_status(tmp_path, healthy):
    db = tmp_path / "c.db"
    usual = stats_of(only_run(healthy, "good"))
    store = Store(db)
    for _ in range(3):                      # three earlier good runs of this source
        run_id = store.start_run("good")
        store.finish_run(run_id, status="ok", items=8, stats_json=usual)
    store.close()
    with Site(8, with_date=False, long_body=True) as site:     # the date line is gone
        done = crawl(db, site, "good")
    assert done.returncode == 0, done.stderr[-2000:]
    run = only_run(db, "good")
    assert run["items"] == 8 and stats_of(run)["cuishou/coverage/published_at"] == 0.0
    assert run["status"] == "layout_changed" and run["monitors_failed"] == "field_coverage"
    alerts = rows(db, "SELECT * FROM alerts")
    assert [a["kind"] for a in alerts] == ["field_coverage"]
    assert "date 0% (usually 100%)" in alerts[0]["message"] and alerts[0]["run_id"] == run["id"]


def test_ban_is_an_alert_and_a_blocked_run(tmp_path):
    db = tmp_path / "c.db"
    with Site(12, ban=True) as site:
        done = crawl(db, site, "banned")
    assert done.returncode == 0, done.stderr[-2000:]
    run = only_run(db, "banned")
    assert run["status"] == "blocked" and run["items"] == 0
    assert set(run["monitors_failed"].split(",")) == {"ban_rate", "item_count"}
    messages = {a["kind"]: a["message"] for a in rows(db, "SELECT * FROM alerts")}
    assert "12 of 13 responses were bans" in messages["ban_rate"]
    assert messages["item_count"].startswith("banned: ItemCount: 0 items scraped")
