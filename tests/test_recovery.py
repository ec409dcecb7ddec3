"""Kill and resume: a real crawl process, started exactly as run_daily starts it, is
SIGKILLed in the middle of a slow crawl. The database must stay consistent (integrity
check, no half-written post, no duplicate) and the next run_daily must store every page
exactly once, keep what was stored before the kill, and mark the dead run failed."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

import run_daily
from tests.test_run_daily_support import ROOT, Site, rows, source_entry, write_sources
from tests.test_run_daily_support import run_daily as run

PAGES = 40


def consistency_problems(db) -> list[str]:
    """What a crash could have left half-done, as readable lines (empty: consistent)."""
    conn = sqlite3.connect(db)
    try:
        problems = []
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            problems.append("integrity_check failed")
        if conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append("foreign keys broken")
        checks = {
            "duplicate post URLs": "SELECT url FROM posts GROUP BY url HAVING count(*) > 1",
            "duplicate bodies": "SELECT content_hash FROM posts GROUP BY content_hash HAVING count(*) > 1",
            "URLs on two posts": "SELECT url FROM post_urls GROUP BY url HAVING count(*) > 1",
            "posts without their URL": "SELECT id FROM posts p WHERE NOT EXISTS "
                                       "(SELECT 1 FROM post_urls u WHERE u.post_id = p.id AND u.url = p.url)",
            "posts without lender": "SELECT id FROM posts p WHERE NOT EXISTS "
                                    "(SELECT 1 FROM post_lenders l WHERE l.post_id = p.id)",
            "posts without archived page": "SELECT id FROM posts p WHERE NOT EXISTS "
                                           "(SELECT 1 FROM pages g WHERE g.post_id = p.id)",
            "pages archived twice": "SELECT url FROM pages GROUP BY url, sha256 HAVING count(*) > 1",
        }
        for name, sql in checks.items():
            found = conn.execute(sql).fetchall()
            if found:
                problems.append(f"{name}: {found[:5]}")
        return problems
    finally:
        conn.close()


def count_posts(db) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:       # not created yet
        return 0


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recovery")
    db = folder / "c.db"
    with Site(PAGES, delay=0.15) as site:              # slow pages: the kill lands mid-crawl
        sources = write_sources(folder / "sources.yml", [source_entry(
            "slow", site, scrapy_settings={"AUTOTHROTTLE_ENABLED": 0, "RETRY_TIMES": 0, "ROBOTSTXT_OBEY": 0,
                                           "CUISHOU_BATCH_SIZE": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 2})])
        opts = run_daily.Options(db=db, public=folder / "public.db", sources_file=sources)
        plan, _ = run_daily.load_plan(sources)
        cmd = run_daily.crawl_command(plan[0], opts)
        with open(folder / "killed.log", "wb") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=run_daily.child_env(opts), stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 60
            while count_posts(db) < 10 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        killed = {"returncode": proc.returncode, "posts": rows(db, "SELECT id, url FROM posts"),
                  "runs": rows(db, "SELECT * FROM crawl_runs"), "problems": consistency_problems(db)}
        resumed = run("--once", "--sources", str(sources), "--no-publish", "--no-notify",
                      env={"CUISHOU_DB": str(db)})
        urls = site.article_urls
    return {"db": db, "killed": killed, "resumed": resumed, "urls": urls}


def test_the_kill_landed_mid_crawl(recovered):
    killed = recovered["killed"]
    assert killed["returncode"] == -signal.SIGKILL
    assert 10 <= len(killed["posts"]) < PAGES
    assert [r["status"] for r in killed["runs"]] == ["running"]      # spider_closed never ran


def test_the_killed_database_is_consistent(recovered):
    assert recovered["killed"]["problems"] == []


def test_the_next_run_stores_every_page_exactly_once(recovered):
    assert recovered["resumed"].returncode == 0, recovered["resumed"].stdout[-3000:]
    posts = rows(recovered["db"], "SELECT id, url FROM posts")
    assert len(posts) == PAGES
    assert {p["url"] for p in posts} == recovered["urls"]
    assert consistency_problems(recovered["db"]) == []


def test_nothing_stored_before_the_kill_is_lost_or_renumbered(recovered):
    now = {p["url"]: p["id"] for p in rows(recovered["db"], "SELECT id, url FROM posts")}
    assert all(now[p["url"]] == p["id"] for p in recovered["killed"]["posts"])


def test_the_dead_run_is_marked_failed_and_the_new_one_ok(recovered):
    dead, new = rows(recovered["db"], "SELECT * FROM crawl_runs ORDER BY id")
    assert dead["status"] == "failed" and dead["reason"] == run_daily.STALE_RUN and dead["finished"]
    assert new["status"] == "ok" and new["items"] == PAGES
    assert new["duplicates"] == len(recovered["killed"]["posts"])
    assert "marked 1 unfinished earlier run(s) failed" in recovered["resumed"].stdout
