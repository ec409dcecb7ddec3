"""Shared fixtures: a local HTTP server for recorded pages, paths, subprocess crawls."""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"
DEMO_SITE = ROOT / "demo" / "site"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_directory(directory: Path):
    """Start a threaded HTTP server on 127.0.0.1 (free port) serving `directory`."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


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
