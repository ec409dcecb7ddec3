#!/usr/bin/env python3
"""Daily operations: crawl every enabled source, then alerts, publish and notify.

    .venv/bin/python run_daily.py --once     # every enabled source now, then exit
    .venv/bin/python run_daily.py            # stay up: each source at its `schedule` times

Each source of scraper/sources.yml runs as its own `scrapy crawl <spider>` process
(the Twisted reactor cannot restart), with a timeout, a memory limit and a per-source
lock, so two runs of one source never overlap. Every run leaves a crawl_runs row: the
item pipeline writes it, and when the process dies before it can (timeout, kill, crash
at start-up) this script writes or completes it with status `failed`.

After the crawls: content alerts (pipelines/alerts.py), the publish step
`python -m db.publish --db PRIVATE --out PUBLIC` (skipped with a warning while the module
does not exist) and notifications (pipelines/notify.py, configured by environment
variables). The exit code is 1 when a source failed or was skipped, or publishing
failed; 2 for a configuration error.

sources.yml keys used here (per source): schedule [HH:MM, ...], timezone (else the
file's top-level `timezone`, else Asia/Shanghai), timeout (seconds), memory_mb,
scrapy_settings {NAME: value}; enabled: false keeps a source out.
"""
from __future__ import annotations

import argparse
import fcntl
import importlib.util
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_TIMEOUT_S = 3 * 3600
DEFAULT_GRACE_S = 60
DEFAULT_MEMORY_MB = 2048
PUBLISH_MODULE = "db.publish"
SOURCE_ARGUMENT = {"articles": "source"}      # other spiders (platforms) take source_name
# sources.yml politeness keys of articles sources, passed as settings on the command line
# (the spider maps them too, but changing settings from its from_crawler breaks Scrapy 2.19)
ARTICLE_SETTINGS = {"delay": "DOWNLOAD_DELAY", "concurrency": "CONCURRENT_REQUESTS_PER_DOMAIN",
                    "max_pages": "CLOSESPIDER_PAGECOUNT"}
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
STALE_RUN = "the crawl process died before it finished (found by the next run)"


class ConfigError(ValueError):
    pass


@dataclass
class Options:
    db: Path
    public: Path
    sources_file: Path
    timeout: float = DEFAULT_TIMEOUT_S
    grace: float = DEFAULT_GRACE_S
    memory_mb: int = DEFAULT_MEMORY_MB
    lock_dir: Path | None = None
    log_dir: Path | None = None
    settings: list[str] = field(default_factory=list)
    only: list[str] = field(default_factory=list)
    publish: bool = True
    alerts: bool = True
    notify: bool = True
    publish_timeout: float = 1800

    def __post_init__(self):
        self.lock_dir = self.lock_dir or self.db.parent / "locks"
        self.log_dir = self.log_dir or self.db.parent / "logs"


@dataclass
class Outcome:
    source: str
    status: str                  # the run's crawl_runs status, or "skipped"
    run_id: int | None = None
    exit_code: int | None = None
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status != "ok"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def say(message: str) -> None:
    print(f"{datetime.now().strftime('%Y-%m-%d %H:%M:%S')} run_daily: {message}", flush=True)


# ---------------------------------------------------------------- configuration
def load_plan(sources_file: Path, only: list[str] | None = None) -> tuple[list[dict], str]:
    """The enabled sources (validated) and the default timezone of the sources file."""
    import pytz
    import yaml

    from scraper.sources import SourceConfigError, load_sources

    try:
        sources = load_sources(sources_file)
        top = yaml.safe_load(sources_file.read_text(encoding="utf-8")) or {}
    except SourceConfigError as exc:
        raise ConfigError(str(exc)) from exc
    default_tz = top.get("timezone") or DEFAULT_TIMEZONE
    names = {s["name"] for s in sources}
    unknown = [n for n in only or [] if n not in names]
    if unknown:
        raise ConfigError(f"{sources_file}: no source named {', '.join(map(repr, unknown))}")
    plan = []
    for source in sources:
        if only and source["name"] not in only:
            continue
        if not only and not source.get("enabled", True):
            continue
        where = f"{sources_file}: source {source['name']!r}"
        times = source.get("schedule") or []
        if isinstance(times, str):
            times = [times]
        for t in times:
            if not TIME_OF_DAY.match(str(t)):
                raise ConfigError(f"{where}: schedule time {t!r} is not HH:MM")
        tz = source.get("timezone") or default_tz
        try:
            pytz.timezone(tz)
        except pytz.UnknownTimeZoneError:
            raise ConfigError(f"{where}: unknown timezone {tz!r}") from None
        for key in ("timeout", "memory_mb"):
            if key in source and not (isinstance(source[key], (int, float)) and source[key] > 0):
                raise ConfigError(f"{where}: {key} must be a positive number, not {source[key]!r}")
        plan.append({**source, "schedule": [str(t) for t in times], "timezone": tz})
    return plan, default_tz


# ---------------------------------------------------------------- one crawl process
def crawl_command(source: dict, opts: Options) -> list[str]:
    """`python -m scrapy crawl <spider> -a source=<name> -s ...` for one source."""
    timeout = float(source.get("timeout") or opts.timeout)
    memory_mb = int(source.get("memory_mb") or opts.memory_mb)
    argument = SOURCE_ARGUMENT.get(source["spider"], "source_name")
    cmd = [sys.executable, "-m", "scrapy", "crawl", source["spider"], "-a", f"{argument}={source['name']}",
           "-s", f"CUISHOU_DB={opts.db}", "-s", f"CUISHOU_SOURCES={opts.sources_file}",
           # stop gracefully before the hard timeout; closespider_timeout is an expected finish
           "-s", f"CLOSESPIDER_TIMEOUT={max(1, int(timeout * 0.9))}",
           # Scrapy's memusage check (RSS) stops the crawl cleanly well below the hard limit
           "-s", f"MEMUSAGE_LIMIT_MB={max(1, memory_mb // 2)}"]
    if source["spider"] == "articles":
        cmd += [arg for key, name in ARTICLE_SETTINGS.items() if source.get(key) is not None
                for arg in ("-s", f"{name}={source[key]}")]
    for name, value in (source.get("scrapy_settings") or {}).items():
        cmd += ["-s", f"{name}={value}"]
    for setting in opts.settings:
        cmd += ["-s", setting]
    return cmd


def child_env(opts: Options) -> dict:
    env = {**os.environ, "CUISHOU_DB": str(opts.db), "CUISHOU_SOURCES": str(opts.sources_file)}
    # numpy's BLAS (via datasketch) reserves buffers per thread and core: a crawler needs none,
    # and the address-space limit should not depend on the machine's core count
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def memory_limiter(memory_mb: int):
    """preexec_fn: the kernel refuses the process more than `memory_mb` of address space."""
    import resource

    limit = memory_mb * 1024 * 1024

    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def acquire_lock(lock_dir: Path, name: str) -> int | None:
    """An exclusive flock on <lock_dir>/<name>.lock, or None when another run holds it.
    The kernel drops it when every process holding the file is gone, so a crash never
    leaves a stale lock."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def log_tail(path: Path, lines: int = 6, limit: int = 600) -> str:
    """The end of a crawl log: what an operator needs to see why a process died."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 8192))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-limit:]


def death_reason(ending: "Ending", timeout: float, grace: float) -> str:
    exit_code = ending.exit_code
    if ending.interrupted:
        return f"interrupted: run_daily was stopped ({type(ending.interrupted).__name__})"
    if ending.timed_out and ending.killed:
        return f"timeout: killed after {timeout:g}s (+{grace:g}s grace)"
    if ending.timed_out:
        return f"timeout: stopped after {timeout:g}s"
    if exit_code < 0:
        try:
            return f"killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"killed by signal {-exit_code}"
    return f"crawl process exited with code {exit_code}"


def open_store(opts: Options):
    from pipelines.store import Store
    return Store(opts.db)


def last_run_id(store) -> int:
    return store.conn.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0]


def run_source(source: dict, opts: Options) -> Outcome:
    """Run one source's crawl process and make sure crawl_runs says how it ended."""
    name = source["name"]
    lock = acquire_lock(opts.lock_dir, name)
    if lock is None:
        message = f"{name}: skipped, another run of this source is still going (lock {opts.lock_dir}/{name}.lock)"
        say(message)
        store = open_store(opts)
        try:
            store.add_alert("run_skipped", message, source=name)
        finally:
            store.close()
        return Outcome(name, "skipped", message=message)
    try:
        return _run_locked(source, opts, lock)
    finally:
        os.close(lock)


def _run_locked(source: dict, opts: Options, lock: int) -> Outcome:
    name = source["name"]
    timeout = float(source.get("timeout") or opts.timeout)
    memory_mb = int(source.get("memory_mb") or opts.memory_mb)
    store = open_store(opts)
    try:
        stale = store.fail_stale_runs(name, STALE_RUN)
        if stale:
            say(f"{name}: marked {len(stale)} unfinished earlier run(s) failed: {stale}")
        before = last_run_id(store)
    finally:
        store.close()
    started = now_utc()
    log_path = opts.log_dir / name / f"{started.strftime('%Y%m%d-%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = crawl_command(source, opts)
    ending = Ending()
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(opts), stdin=subprocess.DEVNULL, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(lock,),
                                preexec_fn=memory_limiter(memory_mb))
        say(f"{name}: crawl started (spider {source['spider']}, pid {proc.pid}, timeout {timeout:g}s, "
            f"memory {memory_mb} MB, log {log_path})")
        try:
            wait_or_stop(proc, timeout, opts.grace, ending, name)
        except BaseException as exc:           # run_daily itself is stopped (SIGTERM, Ctrl-C)
            ending.interrupted = exc
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    ending.exit_code = proc.returncode
    outcome = record_outcome(source, opts, before, started, ending, timeout, log_path)
    if ending.interrupted:
        raise ending.interrupted
    return outcome


@dataclass
class Ending:
    """How a crawl process ended."""
    exit_code: int = 0
    timed_out: bool = False
    killed: bool = False                   # SIGKILL after the grace period
    interrupted: BaseException | None = None


def wait_or_stop(proc: subprocess.Popen, timeout: float, grace: float, ending: Ending, name: str) -> None:
    """Wait for the crawl; at the timeout SIGTERM (Scrapy closes the spider cleanly), after
    `grace` more seconds SIGKILL its process group."""
    try:
        proc.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        ending.timed_out = True
    say(f"{name}: timeout after {timeout:g}s, stopping the crawl (SIGTERM)")
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        ending.killed = True
        say(f"{name}: still running after {grace:g}s, killing it (SIGKILL)")
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def record_outcome(source: dict, opts: Options, before: int, started: datetime, ending: Ending,
                   timeout: float, log_path: Path) -> Outcome:
    """Complete (or write) this run's crawl_runs row from how its process ended."""
    name = source["name"]
    exit_code = ending.exit_code
    names = (name, source["spider"])
    duration = round((now_utc() - started).total_seconds(), 2)
    store = open_store(opts)
    try:
        store.conn.row_factory = sqlite3.Row
        rows = store.conn.execute(
            "SELECT id, status, finished, reason FROM crawl_runs WHERE id > ? AND source IN (?, ?) ORDER BY id",
            (before, *names)).fetchall()
        store.conn.row_factory = None
        why = death_reason(ending, timeout, opts.grace)
        detail = f"{why}; log {log_path}: {log_tail(log_path)}"
        died = not rows or any(r["status"] == "running" for r in rows)
        if not rows:
            run_id = store.start_run(name, started=iso(started))
            store.finish_run(run_id, status="failed", finish_reason=why, reason=detail, exit_code=exit_code,
                             duration_s=duration, requests=0, items=0, stored=0, duplicates=0, quarantined=0,
                             errors=1)
            rows = [{"id": run_id, "status": "failed", "finished": None, "reason": detail}]
        else:
            for row in rows:
                fields = {"exit_code": exit_code, "finished": row["finished"] or iso(now_utc())}
                if row["status"] == "running":
                    fields.update(status="failed", finish_reason=why, reason=detail, duration_s=duration)
                elif ending.timed_out or ending.interrupted or exit_code != 0:
                    fields.update(status="failed", reason=f"{why}; {row['reason'] or ''}".rstrip("; "))
                store.finish_run(row["id"], **fields)
        final = store.conn.execute("SELECT id, status, items, stored, reason FROM crawl_runs WHERE id = ?",
                                   (rows[-1]["id"],)).fetchone()
        if died:
            store.add_alert("run_failed", f"{name}: {why}; the crawl process did not finish its run "
                                          f"(see {log_path})", source=name, run_id=final[0])
    finally:
        store.close()
    run_id, status, items, stored, reason = final
    message = (f"{name}: {status}, {items or 0} items ({stored or 0} new), exit code {exit_code}, {duration:g}s"
               + (f": {reason}" if status != "ok" and reason else ""))
    say(message)
    return Outcome(name, status, run_id, exit_code, message)


# ---------------------------------------------------------------- after the crawls
def publish_module() -> str:
    return os.environ.get("CUISHOU_PUBLISH_MODULE") or PUBLISH_MODULE


def publish_command(opts: Options) -> list[str]:
    return [sys.executable, "-m", publish_module(), "--db", str(opts.db), "--out", str(opts.public)]


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def run_publish(opts: Options) -> bool | None:
    """True: published; False: the step failed; None: skipped (module missing)."""
    module = publish_module()
    if not module_exists(module):
        say(f"WARNING: publish step skipped: module {module} does not exist yet")
        return None
    cmd = publish_command(opts)
    say(f"publish: {' '.join(cmd[1:])}")
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=child_env(opts), capture_output=True, text=True,
                              timeout=opts.publish_timeout)
    except subprocess.TimeoutExpired:
        say(f"publish FAILED: no result after {opts.publish_timeout:g}s")
        return False
    if done.returncode != 0:
        say(f"publish FAILED (exit code {done.returncode}): {done.stderr.strip()[-500:]}")
        return False
    say(f"publish: {opts.public} written")
    return True


def local_day(tz_name: str) -> str:
    from zoneinfo import ZoneInfo
    return now_utc().astimezone(ZoneInfo(tz_name)).date().isoformat()


def run_batch(sources: list[dict], opts: Options, tz_name: str = DEFAULT_TIMEZONE) -> int:
    """Crawl `sources` one after another, then alerts, publish, notify. Returns the exit code."""
    started = now_utc()
    say(f"{len(sources)} source(s) to crawl: {', '.join(s['name'] for s in sources) or '-'}")
    outcomes = []
    for number, source in enumerate(sources, start=1):
        say(f"[{number}/{len(sources)}] {source['name']}")
        try:
            outcomes.append(run_source(source, opts))
        except Exception as exc:  # noqa: BLE001 - one broken source must not stop the others
            say(f"{source['name']}: FAILED to run: {type(exc).__name__}: {exc}")
            outcomes.append(Outcome(source["name"], "failed", message=str(exc)))
    problems = [o.source for o in outcomes if o.failed]
    if opts.alerts:
        try:
            from pipelines import alerts
            written = alerts.check(opts.db, log=lambda m: say(m))
            say(f"content alerts: {len(written)} new")
        except Exception as exc:  # noqa: BLE001
            say(f"content alerts FAILED: {type(exc).__name__}: {exc}")
            problems.append("alerts")
    if opts.publish:
        published = run_publish(opts)
        if published is False:
            problems.append("publish")
            store = open_store(opts)
            try:
                store.add_alert("publish_failed", f"publishing {opts.public} failed; see run_daily's output")
            finally:
                store.close()
    if opts.notify:
        from pipelines import notify
        try:
            notify.notify(opts.db, iso(started), local_day(tz_name), dict(os.environ), log=lambda m: say(m))
        except Exception as exc:  # noqa: BLE001 - a notification problem never hides the crawl result
            say(f"notify FAILED: {type(exc).__name__}: {exc}")
    say("done: " + ("all ok" if not problems else f"not ok: {', '.join(problems)}"))
    return 1 if problems else 0


# ---------------------------------------------------------------- the schedule loop
def build_scheduler(sources: list[dict], job) -> "schedule.Scheduler":  # noqa: F821
    """One daily job per (time, timezone); `job(names)` gets the sources due then.
    A job that raises is logged and the loop goes on."""
    import schedule

    slots: dict[tuple[str, str], list[str]] = {}
    for source in sources:
        for at in source["schedule"]:
            slots.setdefault((at, source["timezone"]), []).append(source["name"])
    scheduler = schedule.Scheduler()
    for (at, tz), names in sorted(slots.items()):
        scheduler.every().day.at(at, tz).do(_guarded, job, names).tag(*names)
    return scheduler


def _guarded(job, names: list[str]) -> None:
    try:
        job(names)
    except Exception as exc:  # noqa: BLE001 - the loop must outlive a failing job
        say(f"job for {', '.join(names)} FAILED: {type(exc).__name__}: {exc}")


def describe(scheduler) -> str:
    return "; ".join(f"{', '.join(sorted(job.tags))} at {job.at_time} {job.at_time_zone} "
                     f"(next {job.next_run:%Y-%m-%d %H:%M} local)" for job in scheduler.jobs) or "nothing scheduled"


def run_forever(opts: Options, sleep=time.sleep, iterations: int | None = None, max_sleep: float = 30,
                batch=None) -> None:
    """Re-read the sources file when it changes; run due jobs; sleep until the next one.
    `batch(sources, opts, tz_name)` runs the due sources (run_batch)."""
    batch = batch or run_batch
    scheduler, mtime, tz_name = None, None, DEFAULT_TIMEZONE
    count = 0
    while iterations is None or count < iterations:
        count += 1
        current = opts.sources_file.stat().st_mtime if opts.sources_file.exists() else None
        if scheduler is None or current != mtime:
            mtime = current
            try:
                plan, tz_name = load_plan(opts.sources_file, opts.only)
            except ConfigError as exc:
                say(f"sources file not usable, keeping the previous schedule: {exc}")
                if scheduler is None:
                    raise
            else:
                by_name = {s["name"]: s for s in plan}

                def job(names, by_name=by_name, tz_name=tz_name):
                    batch([by_name[n] for n in names], opts, tz_name)
                scheduler = build_scheduler(plan, job)
                say(f"schedule: {describe(scheduler)}")
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        sleep(max(1.0, min(max_sleep, idle if idle is not None else max_sleep)))


# ---------------------------------------------------------------- command line
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_daily.py",
        description="Run the Cuishou Watch crawls: each enabled source of the sources file as its own "
                    "`scrapy crawl` process (timeout, memory limit, lock), then content alerts, the "
                    "publish step and notifications. Without --once it stays up and runs each source "
                    "at its `schedule` times (timezone from the sources file, default Asia/Shanghai).",
        epilog="Environment: CUISHOU_DB (private database, default data/cuishou.db), CUISHOU_PUBLIC_DB, "
               "CUISHOU_SOURCES; notifications: CUISHOU_WEBHOOK_URL, CUISHOU_WEBHOOK_TOKEN, CUISHOU_SMTP_HOST, "
               "CUISHOU_SMTP_PORT, CUISHOU_SMTP_TLS, CUISHOU_SMTP_USER, CUISHOU_SMTP_PASSWORD, CUISHOU_SMTP_FROM, "
               "CUISHOU_SMTP_TO. Exit code: 0 all ok, 1 a source failed or was skipped or publishing failed, "
               "2 configuration error.")
    parser.add_argument("--once", action="store_true", help="run every enabled source now, then exit")
    parser.add_argument("--sources", metavar="FILE", help="sources file (default $CUISHOU_SOURCES or "
                                                          "scraper/sources.yml)")
    parser.add_argument("--db", metavar="PATH", help="private crawl database (default $CUISHOU_DB)")
    parser.add_argument("--public", metavar="PATH", help="public database written by the publish step "
                                                         "(default $CUISHOU_PUBLIC_DB or public.db beside --db)")
    parser.add_argument("--only", metavar="NAME", action="append", default=[],
                        help="run only this source (repeatable; also runs a disabled one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"per crawl, unless the source sets `timeout` (default {DEFAULT_TIMEOUT_S})")
    parser.add_argument("--grace", type=float, default=DEFAULT_GRACE_S, metavar="SECONDS",
                        help=f"after the timeout's SIGTERM, wait this long before SIGKILL (default {DEFAULT_GRACE_S})")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"address-space limit per crawl, unless the source sets `memory_mb` "
                             f"(default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--set", "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every crawl (repeatable)")
    parser.add_argument("--lock-dir", metavar="DIR", help="per-source lock files (default locks/ beside --db)")
    parser.add_argument("--log-dir", metavar="DIR", help="crawl logs (default logs/ beside --db)")
    parser.add_argument("--no-alerts", action="store_true", help="skip the content alerts")
    parser.add_argument("--no-publish", action="store_true", help="skip the publish step")
    parser.add_argument("--no-notify", action="store_true", help="send no notification")
    return parser.parse_args(argv)


def options_from_args(args: argparse.Namespace, env: dict) -> Options:
    from scraper.sources import SOURCES_FILE

    db = Path(args.db or env.get("CUISHOU_DB") or ROOT / "data" / "cuishou.db").resolve()
    public = Path(args.public or env.get("CUISHOU_PUBLIC_DB") or db.parent / "public.db").resolve()
    sources = Path(args.sources or env.get("CUISHOU_SOURCES") or SOURCES_FILE).resolve()
    for setting in args.settings:
        if "=" not in setting:
            raise ConfigError(f"--set {setting!r}: expected NAME=VALUE")
    return Options(db=db, public=public, sources_file=sources, timeout=args.timeout, grace=args.grace,
                   memory_mb=args.memory_mb, settings=list(args.settings), only=list(args.only),
                   lock_dir=Path(args.lock_dir).resolve() if args.lock_dir else None,
                   log_dir=Path(args.log_dir).resolve() if args.log_dir else None,
                   publish=not args.no_publish, alerts=not args.no_alerts, notify=not args.no_notify)


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)     # unwinds run_source, which kills its crawl process


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        opts = options_from_args(args, dict(os.environ))
        plan, tz_name = load_plan(opts.sources_file, opts.only)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if args.once:
        return run_batch(plan, opts, tz_name)
    say(f"scheduler started: sources {opts.sources_file}, database {opts.db}")
    try:
        run_forever(opts)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
