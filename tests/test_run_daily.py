"""run_daily.py as an operator runs it: real `scrapy crawl` processes against generated
sites on 127.0.0.1, a real SQLite database, a publish module that records how it was
called, a webhook receiver. Timeouts, a memory limit, a crash at start-up, the lock and
a stopped run_daily each leave the crawl_runs row an operator needs."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import run_daily
from tests.test_run_daily_support import (RUN_DAILY, ROOT, Receiver, Site, rows, source_entry,
                                          write_sources)
from tests.test_run_daily_support import run_daily as run

RECORDER = """import json, os, sys
with open(os.environ["PUBLISH_RECORD"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit(int(os.environ.get("PUBLISH_EXIT", "0")))
"""


@pytest.fixture(scope="module")
def publisher(tmp_path_factory):
    """A stand-in for db.publish (another developer's module): records its arguments."""
    folder = tmp_path_factory.mktemp("publisher")
    (folder / "recording_publish.py").write_text(RECORDER, encoding="utf-8")
    return {"PYTHONPATH": str(folder), "CUISHOU_PUBLISH_MODULE": "recording_publish",
            "PUBLISH_RECORD": str(folder / "calls.jsonl")}


def published(publisher) -> list[list[str]]:
    path = publisher["PUBLISH_RECORD"]
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# -- command line ----------------------------------------------------------------

def test_help_explains_the_command():
    done = run("--help")
    assert done.returncode == 0
    for word in ("--once", "--sources", "--timeout", "--memory-mb", "CUISHOU_DB", "Asia/Shanghai",
                 "CUISHOU_WEBHOOK_URL", "Exit code"):
        assert word in done.stdout, word


def test_a_bad_sources_file_is_one_clear_line_and_exit_2(tmp_path):
    done = run("--once", "--sources", str(tmp_path / "nope.yml"), env={"CUISHOU_DB": str(tmp_path / "c.db")})
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path / 'nope.yml'}: no such sources file"
    bad = write_sources(tmp_path / "s.yml", [{"name": "x", "start_urls": ["http://127.0.0.1:1/"],
                                              "schedule": ["25:00"]}])
    done = run("--once", "--sources", str(bad), env={"CUISHOU_DB": str(tmp_path / "c.db")})
    assert done.returncode == 2 and "schedule time '25:00' is not HH:MM" in done.stderr


def test_crawl_command_per_source(tmp_path):
    opts = run_daily.Options(db=tmp_path / "c.db", public=tmp_path / "p.db", sources_file=tmp_path / "s.yml",
                             timeout=1000, memory_mb=1024, settings=["LOG_LEVEL=WARNING"])
    cmd = run_daily.crawl_command({"name": "demo", "spider": "articles", "delay": 2, "max_pages": 50,
                                   "scrapy_settings": {"RETRY_TIMES": 1}}, opts)
    assert cmd[:6] == [sys.executable, "-m", "scrapy", "crawl", "articles", "-a"] and cmd[6] == "source=demo"
    settings = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-s"]
    assert settings == [f"CUISHOU_DB={tmp_path / 'c.db'}", f"CUISHOU_SOURCES={tmp_path / 's.yml'}",
                        "CLOSESPIDER_TIMEOUT=900", "MEMUSAGE_LIMIT_MB=512", "DOWNLOAD_DELAY=2",
                        "CLOSESPIDER_PAGECOUNT=50", "RETRY_TIMES=1", "LOG_LEVEL=WARNING"]
    platform = run_daily.crawl_command({"name": "heimao", "spider": "heimao", "timeout": 100}, opts)
    assert platform[4:7] == ["heimao", "-a", "source_name=heimao"] and "CLOSESPIDER_TIMEOUT=90" in platform


# -- a daily run -----------------------------------------------------------------

@pytest.fixture(scope="module")
def daily(tmp_path_factory, publisher):
    """Two enabled sources (one banned) and a disabled one, run with --once; then the
    healthy source alone again."""
    folder = tmp_path_factory.mktemp("daily")
    db = folder / "data" / "private.db"
    receiver = Receiver()
    with Site(10) as good, Site(12, ban=True) as banned:
        sources = write_sources(folder / "sources.yml", [
            source_entry("good", good), source_entry("banned", banned),
            source_entry("spare", good, enabled=False)], timezone="Asia/Shanghai")
        env = {"CUISHOU_DB": str(db), "CUISHOU_WEBHOOK_URL": receiver.url, **publisher}
        first = run("--once", "--sources", str(sources), env=env)
        time.sleep(1.1)                       # last_seen has one-second resolution
        second = run("--once", "--sources", str(sources), "--only", "good", env=env)
    receiver.close()
    return {"db": db, "first": first, "second": second, "hooks": receiver.requests, "folder": folder}


def test_exit_code_says_whether_every_source_worked(daily):
    assert daily["first"].returncode == 1, daily["first"].stdout[-3000:]
    assert daily["second"].returncode == 0, daily["second"].stdout[-3000:]
    out = daily["first"].stdout
    assert "[1/2] good" in out and "[2/2] banned" in out and "spare" not in out
    assert "done: not ok: banned" in out and "done: all ok" in daily["second"].stdout


def test_every_run_is_a_crawl_runs_row(daily):
    runs = rows(daily["db"], "SELECT * FROM crawl_runs ORDER BY id")
    assert [(r["source"], r["status"]) for r in runs] == [("good", "ok"), ("banned", "blocked"), ("good", "ok")]
    good, banned, again = runs
    assert (good["items"], good["duplicates"], good["quarantined"], good["exit_code"]) == (10, 0, 0, 0)
    assert (again["items"], again["stored"], again["duplicates"]) == (10, 0, 10)
    assert banned["items"] == 0 and banned["exit_code"] == 0
    assert set(banned["monitors_failed"].split(",")) == {"ban_rate", "item_count"}
    for r in runs:
        assert r["finished"] >= r["started"] and r["requests"] > 0 and r["duration_s"] > 0
    assert rows(daily["db"], "SELECT count(*) AS n FROM posts")[0]["n"] == 10


def test_each_crawl_has_its_own_log(daily):
    logs = sorted(p.relative_to(daily["db"].parent).parts[:2] for p in (daily["db"].parent / "logs").rglob("*.log"))
    assert logs == [("logs", "banned"), ("logs", "good"), ("logs", "good")]


def test_content_alerts_are_written_once(daily):
    alerts = rows(daily["db"], "SELECT kind, source FROM alerts ORDER BY id")
    new_lenders = [a for a in alerts if a["kind"] == "new_lender"]
    assert len(new_lenders) == 6                                   # the six lenders of the site, once
    assert sorted(a["kind"] for a in alerts if a["kind"] != "new_lender") == ["ban_rate", "item_count"]


def test_publish_runs_after_the_crawls(daily, publisher):
    public = str(daily["db"].parent / "public.db")
    assert published(publisher)[-2:] == [["--db", str(daily["db"]), "--out", public]] * 2
    assert "publish: -m recording_publish --db" in daily["first"].stdout


def test_the_webhook_gets_the_summary(daily):
    first, second = (json.loads(h["body"]) for h in daily["hooks"])
    assert first["failed_sources"] == ["banned"]
    assert [r["source"] for r in first["runs"]] == ["good", "banned"]
    assert "BLOCKED" in first["text"] and "[ban_rate] banned: BanRate" in first["text"]
    assert first["alerts_total"] == 8 and second["alerts_total"] == 0    # sent once
    assert second["failed_sources"] == []


def test_publish_is_skipped_with_a_warning_when_the_module_is_missing(tmp_path):
    sources = write_sources(tmp_path / "s.yml", [])
    done = run("--once", "--sources", str(sources), env={"CUISHOU_DB": str(tmp_path / "c.db"),
                                                         "CUISHOU_PUBLISH_MODULE": "cuishou_no_such_module"})
    assert done.returncode == 0, done.stdout
    assert "WARNING: publish step skipped: module cuishou_no_such_module does not exist yet" in done.stdout


def test_a_failing_publish_makes_the_run_fail(tmp_path, publisher):
    sources = write_sources(tmp_path / "s.yml", [])
    done = run("--once", "--sources", str(sources), "--public", str(tmp_path / "out.db"),
               env={"CUISHOU_DB": str(tmp_path / "c.db"), **publisher, "PUBLISH_EXIT": "3"})
    assert done.returncode == 1 and "publish FAILED (exit code 3)" in done.stdout
    assert published(publisher)[-1] == ["--db", str(tmp_path / "c.db"), "--out", str(tmp_path / "out.db")]
    assert [a["kind"] for a in rows(tmp_path / "c.db", "SELECT kind FROM alerts")] == ["publish_failed"]


# -- processes that die ----------------------------------------------------------

def once(tmp_path, entries, *args, timeout=120):
    sources = write_sources(tmp_path / "s.yml", entries)
    db = tmp_path / "c.db"
    done = run("--once", "--sources", str(sources), "--no-publish", "--no-notify", *args,
               env={"CUISHOU_DB": str(db)}, timeout=timeout)
    return done, db


def test_a_hanging_crawl_is_killed_at_its_timeout(tmp_path):
    with Site(4, hang=True) as site:
        started = time.monotonic()
        done, db = once(tmp_path, [source_entry("slow", site, timeout=3)], "--grace", "1")
        elapsed = time.monotonic() - started
    assert done.returncode == 1 and elapsed < 30
    [run_row] = rows(db, "SELECT * FROM crawl_runs")
    assert run_row["status"] == "failed" and run_row["exit_code"] == -signal.SIGKILL
    assert run_row["finish_reason"] == "timeout: killed after 3s (+1s grace)"
    assert run_row["finished"] and run_row["duration_s"] >= 3
    alerts = rows(db, "SELECT kind, message, run_id FROM alerts")
    assert [(a["kind"], a["run_id"]) for a in alerts] == [("run_failed", run_row["id"])]
    assert "slow: timeout: killed after 3s" in alerts[0]["message"]


def test_a_crawl_that_dies_at_start_up_still_gets_a_failed_row(tmp_path):
    with Site(2) as site:                                          # 80 MB: Python cannot even import Scrapy
        done, db = once(tmp_path, [source_entry("tiny", site, memory_mb=80), source_entry("fine", site)])
    assert done.returncode == 1
    tiny, fine = rows(db, "SELECT * FROM crawl_runs ORDER BY id")
    assert (tiny["source"], tiny["status"], tiny["exit_code"]) == ("tiny", "failed", 1)
    assert tiny["finish_reason"] == "crawl process exited with code 1" and "log " in tiny["reason"]
    assert (fine["source"], fine["status"], fine["items"]) == ("fine", "ok", 2)    # the next source still ran
    assert [a["kind"] for a in rows(db, "SELECT kind FROM alerts WHERE source = 'tiny'")] == ["run_failed"]


def test_the_lock_keeps_two_runs_of_a_source_apart(tmp_path):
    lock = run_daily.acquire_lock(tmp_path / "locks", "good")    # a run of `good` is going on
    try:
        assert run_daily.acquire_lock(tmp_path / "locks", "good") is None
        with Site(2) as site:
            done, db = once(tmp_path, [source_entry("good", site)], "--lock-dir", str(tmp_path / "locks"))
    finally:
        os.close(lock)
    assert done.returncode == 1 and "good: skipped, another run of this source is still going" in done.stdout
    assert rows(db, "SELECT * FROM crawl_runs") == []
    assert [a["kind"] for a in rows(db, "SELECT kind FROM alerts")] == ["run_skipped"]
    again = run_daily.acquire_lock(tmp_path / "locks", "good")    # released with its holder
    assert again is not None
    os.close(again)


def test_stopping_run_daily_stops_its_crawl_and_records_it(tmp_path):
    with Site(4, hang=True) as site:
        sources = write_sources(tmp_path / "s.yml", [source_entry("slow", site)])
        db = tmp_path / "c.db"
        proc = subprocess.Popen([sys.executable, str(RUN_DAILY), "--once", "--sources", str(sources),
                                 "--no-publish", "--no-notify"], cwd=ROOT, env={**os.environ, "CUISHOU_DB": str(db)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ""
        while "crawl started" not in line:
            line = proc.stdout.readline()
            assert line, "run_daily ended before starting the crawl"
        crawl_pid = int(re.search(r"pid (\d+)", line).group(1))
        deadline = time.monotonic() + 30
        while not rows(db, "SELECT * FROM crawl_runs") and time.monotonic() < deadline:
            time.sleep(0.2)                                        # the spider is open
        proc.send_signal(signal.SIGTERM)                           # systemctl stop
        out = proc.communicate(timeout=30)[0]
    assert proc.returncode == 128 + signal.SIGTERM, out
    with pytest.raises(ProcessLookupError):
        os.kill(crawl_pid, 0)
    [run_row] = rows(db, "SELECT * FROM crawl_runs")
    assert run_row["status"] == "failed" and run_row["finish_reason"].startswith("interrupted: run_daily was stopped")

