"""Shared fixtures: a local HTTP server for recorded pages, paths, subprocess crawls."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo.run import serve_directory

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"
DEMO_SITE = ROOT / "demo" / "site"


@pytest.fixture(scope="session")
def demo_site():
    server, base = serve_directory(DEMO_SITE)
    yield base
    server.shutdown()


def run_crawl(db_path: Path, *args: str, timeout: int = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """One `scrapy crawl` in its own process (the Twisted reactor cannot restart)."""
    env = {**os.environ, **(env or {}), "CUISHOU_DB": str(db_path)}
    cmd = [str(Path(sys.executable).parent / "scrapy"), "crawl", *args,
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
