"""A real browser (Debian's chromium, driven by Playwright) against a running Datasette.

Starts `python -m db.serve` on a free 127.0.0.1 port in a subprocess, on a public DB
built by the real pipeline and db.publish; searches 態度 and 上门 as a journalist
would (typing into the form), opens a lender page, checks its chart is drawn, and
saves screenshots to artifacts/. Every request the page makes must stay on
127.0.0.1: the machines have no internet. `make browser-deps` installs chromium;
`playwright install` is never needed.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from db import publish
from tests.conftest import ROOT
from tests.publish_corpus import build_private_db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "artifacts"
ATTITUDE = "极融借款催收态度恶劣,还爆通讯录"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"datasette did not answer {url} within {timeout}s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    private = build_private_db(tmp_path_factory.mktemp("private") / "cuishou.db")
    public = tmp_path_factory.mktemp("public") / "public.db"
    publish.publish(private, public, progress=lambda m: None)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "db.serve", "--db", str(public), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/-/versions.json", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "chromium is missing: run `make browser-deps` (Debian package chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def search_by_typing(page, base: str, query: str) -> list[str]:
    page.goto(f"{base}/public/search")
    page.fill('input[name="q"]', query)
    page.click('form input[type="submit"]')
    page.wait_for_load_state("load")
    return page.locator("table.rows-and-columns tbody td.col-title").all_inner_texts()


def test_journalist_searches_and_opens_a_lender_chart(page, server):
    ARTIFACTS.mkdir(exist_ok=True)

    titles = search_by_typing(page, server, "態度")
    assert titles[0] == ATTITUDE
    page.screenshot(path=str(ARTIFACTS / "search_taidu.png"), full_page=True)

    titles = search_by_typing(page, server, "上门")
    assert set(titles) == {"安逸花逾期后催收说要派人上门", "安逸花催收多次上门骚扰"}
    page.screenshot(path=str(ARTIFACTS / "search_shangmen.png"), full_page=True)

    # from a result to its post page, and from there to the lender's page
    page.click(f'td.col-title a:has-text("安逸花逾期后催收说要派人上门")')
    page.wait_for_load_state("load")
    assert page.locator("a.original-url").get_attribute("href") == "http://forum.test/t/102.html"
    page.screenshot(path=str(ARTIFACTS / "post_page.png"), full_page=True)
    page.click('a.lender-link:has-text("安逸花")')
    page.wait_for_load_state("load")
    assert "lenders" in page.url

    chart = page.locator("svg.chart.monthly")
    chart.wait_for(state="visible")
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    bars = page.locator("svg.chart.monthly rect.bar")
    heights = [float(bars.nth(i).get_attribute("height")) for i in range(bars.count())]
    assert len(heights) == 3 and sum(h > 0 for h in heights) == 2      # 2025-03, (04 empty), 2025-05
    assert bars.first.bounding_box()["height"] > 10                       # drawn, not just in the DOM
    page.screenshot(path=str(ARTIFACTS / "lender_page.png"), full_page=True)

    page.goto(f"{server}/-/charts")
    assert page.locator("svg.chart.monthly").count() >= 4
    assert page.locator("table.matrix tbody tr").count() >= 4
    page.screenshot(path=str(ARTIFACTS / "charts.png"), full_page=True)

    outside = [url for url in page.requests if not url.startswith(server)]
    assert outside == []


def test_posts_table_search_box_in_the_browser(page, server):
    page.goto(f"{server}/public/posts")
    page.fill('input[name="_search"]', "爆通訊錄")
    page.locator('input[name="_search"]').press("Enter")
    page.wait_for_load_state("load")
    titles = page.locator("table.rows-and-columns tbody td.col-title").all_inner_texts()
    assert ATTITUDE in titles and len(titles) == 2
    page.screenshot(path=str(ARTIFACTS / "posts_search_box.png"), full_page=True)
