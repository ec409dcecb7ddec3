"""deploy/: the systemd units and the cron line start run_daily.py with arguments it
accepts, at 06:30 China time, and the environment template holds no secret."""
from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess

import run_daily
from tests.test_run_daily_support import ROOT

DEPLOY = ROOT / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def run_daily_args(command: str) -> list[str]:
    words = shlex.split(command)
    return words[[i for i, w in enumerate(words) if w.endswith("run_daily.py")][0] + 1:]


def test_daily_service_runs_once_and_lets_run_daily_stop_its_crawls():
    service = unit("cuishou-daily.service")["Service"]
    assert service["Type"] == "oneshot" and service["KillMode"] == "mixed"
    assert service["EnvironmentFile"] == "-/etc/cuishou/env"
    args = run_daily_args(service["ExecStart"])
    assert args == ["--once"] and run_daily.parse_args(args).once


def test_timer_fires_at_0630_shanghai_for_the_service():
    timer = unit("cuishou-daily.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 06:30:00 Asia/Shanghai" and timer["Unit"] == "cuishou-daily.service"
    assert timer["Persistent"] == "true"


def test_scheduler_service_runs_the_loop():
    service = unit("cuishou-scheduler.service")["Service"]
    assert run_daily_args(service["ExecStart"]) == [] and service["Restart"] == "on-failure"


def test_units_pass_systemd_verification(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (systemd) is part of this machine; the units are checked with it"
    names = ["cuishou-daily.service", "cuishou-daily.timer", "cuishou-scheduler.service"]
    for name in names:     # the units name /opt/cuishou; verify them against this checkout
        text = (DEPLOY / name).read_text(encoding="utf-8").replace("/opt/cuishou", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in names)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    calendar = subprocess.run([analyze, "calendar", "*-*-* 06:30:00 Asia/Shanghai"], capture_output=True, text=True,
                              env={"TZ": "UTC", "PATH": "/usr/bin:/bin"})
    assert calendar.returncode == 0 and re.search(r"Next elapse: .* 22:30:00 UTC", calendar.stdout)


def test_cron_line_runs_once_at_0630_shanghai():
    lines = [l for l in (DEPLOY / "cron").read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")]
    assert lines[0] == "CRON_TZ=Asia/Shanghai"
    minute, hour, dom, month, dow, user, command = lines[1].split(None, 6)
    assert (minute, hour, dom, month, dow, user) == ("30", "6", "*", "*", "*", "cuishou")
    assert ". /etc/cuishou/env" in command
    args = run_daily_args(command.split(">>")[0])
    assert args == ["--once"] and run_daily.parse_args(args).once


def test_env_template_names_the_variables_and_holds_no_value():
    entries = [l.split("=", 1) for l in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines()
               if l and not l.startswith("#")]
    assert all(value == "" for _, value in entries)
    code = (ROOT / "pipelines" / "notify.py").read_text(encoding="utf-8")
    for name, _ in entries:
        if name.startswith("CUISHOU_"):
            assert name in code, f"{name} is not read by pipelines/notify.py"
