"""run_daily.py's schedule loop with frozen time: each source runs at its configured
times in its timezone (default Asia/Shanghai), a failing job does not stop the loop,
and an edited sources file is picked up."""
from __future__ import annotations

import time
from datetime import datetime

import pytest
from freezegun import freeze_time

import run_daily
from tests.test_run_daily_support import write_sources


@pytest.fixture(autouse=True)
def utc_machine(monkeypatch):
    """schedule converts to the machine's local time; make that UTC for the test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


PLAN = [
    {"name": "a", "schedule": ["06:30"], "timezone": "Asia/Shanghai"},
    {"name": "b", "schedule": ["06:30", "18:00"], "timezone": "Asia/Shanghai"},
    {"name": "c", "schedule": ["06:30"], "timezone": "Europe/Berlin"},
]


def test_one_job_per_time_and_timezone_at_the_right_instant():
    with freeze_time("2026-03-01 20:00:00"):            # 04:00 on 2 March in Shanghai
        scheduler = run_daily.build_scheduler(PLAN, lambda names: None)
    jobs = sorted((job.next_run, sorted(job.tags)) for job in scheduler.jobs)
    assert jobs == [
        (datetime(2026, 3, 1, 22, 30), ["a", "b"]),       # 06:30 Shanghai = 22:30 UTC the day before
        (datetime(2026, 3, 2, 5, 30), ["c"]),             # 06:30 Berlin (CET) = 05:30 UTC
        (datetime(2026, 3, 2, 10, 0), ["b"]),             # 18:00 Shanghai
    ]


def test_jobs_run_when_due_and_once_a_day():
    calls = []
    with freeze_time("2026-03-01 22:29:00") as frozen:
        scheduler = run_daily.build_scheduler(PLAN[:2], calls.append)
        scheduler.run_pending()
        assert calls == []
        frozen.tick(61)
        scheduler.run_pending()
        scheduler.run_pending()
        assert calls == [["a", "b"]]
        frozen.move_to("2026-03-02 10:00:05")
        scheduler.run_pending()
        assert calls == [["a", "b"], ["b"]]
        frozen.move_to("2026-03-02 22:30:05")
        scheduler.run_pending()
        assert calls == [["a", "b"], ["b"], ["a", "b"]]


def test_a_failing_job_does_not_stop_the_schedule(capsys):
    calls = []

    def job(names):
        calls.append(names)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    with freeze_time("2026-03-01 22:29:00") as frozen:
        scheduler = run_daily.build_scheduler(PLAN[:2], job)
        frozen.move_to("2026-03-01 22:30:30")
        scheduler.run_pending()                           # raises inside, logged
        frozen.move_to("2026-03-02 10:00:01")
        scheduler.run_pending()
    assert calls == [["a", "b"], ["b"]]
    assert "job for a, b FAILED: RuntimeError: database is locked" in capsys.readouterr().out


def test_the_loop_runs_sources_on_time_and_rereads_an_edited_file(tmp_path):
    sources = write_sources(tmp_path / "sources.yml", [
        {"name": "demo", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["06:30"]},
        {"name": "other", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["07:10"]},
        {"name": "off", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["06:30"], "enabled": False},
    ])                                                     # no timezone: Asia/Shanghai
    opts = run_daily.Options(db=tmp_path / "c.db", public=tmp_path / "p.db", sources_file=sources)
    ran = []

    def batch(plan, opts, tz_name):
        ran.append((datetime.now().strftime("%m-%d %H:%M"), [s["name"] for s in plan], tz_name))
        if len(ran) == 1:                                  # the operator adds a noon run of demo
            write_sources(sources, [
                {"name": "demo", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["06:30", "12:00"]},
                {"name": "other", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["07:10"]}])
        if len(ran) == 2:
            raise RuntimeError("crawl exploded")           # the loop must survive it

    with freeze_time("2026-03-01 22:00:00") as frozen:
        run_daily.run_forever(opts, sleep=lambda s: frozen.tick(s), iterations=400, max_sleep=600,
                              batch=batch)
    assert ran[:4] == [
        ("03-01 22:30", ["demo"], "Asia/Shanghai"),
        ("03-01 23:10", ["other"], "Asia/Shanghai"),
        ("03-02 04:00", ["demo"], "Asia/Shanghai"),        # 12:00 Shanghai, from the edited file
        ("03-02 22:30", ["demo"], "Asia/Shanghai"),
    ]


def test_plan_defaults_and_per_source_timezone(tmp_path):
    sources = write_sources(tmp_path / "s.yml", [
        {"name": "a", "start_urls": ["http://127.0.0.1:1/"], "schedule": "06:30"},
        {"name": "b", "start_urls": ["http://127.0.0.1:1/"], "schedule": ["08:00"], "timezone": "Asia/Taipei"},
        {"name": "c", "start_urls": ["http://127.0.0.1:1/"], "enabled": False},
    ])
    plan, tz = run_daily.load_plan(sources)
    assert tz == "Asia/Shanghai"
    assert [(s["name"], s["schedule"], s["timezone"]) for s in plan] == [
        ("a", ["06:30"], "Asia/Shanghai"), ("b", ["08:00"], "Asia/Taipei")]
    plan, _ = run_daily.load_plan(sources, only=["c"])      # --only runs a disabled source too
    assert [s["name"] for s in plan] == ["c"]


@pytest.mark.parametrize("entry, message", [
    ({"schedule": ["6:30"]}, "schedule time '6:30' is not HH:MM"),
    ({"schedule": ["06:30"], "timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
    ({"timeout": -5}, "timeout must be a positive number"),
])
def test_bad_entries_are_clear_errors(tmp_path, entry, message):
    sources = write_sources(tmp_path / "s.yml", [{"name": "a", "start_urls": ["http://127.0.0.1:1/"], **entry}])
    with pytest.raises(run_daily.ConfigError, match=message):
        run_daily.load_plan(sources)
