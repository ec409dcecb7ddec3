"""Helpers for the operations tests (run_daily, monitors, recovery): a small generated
Chinese article site on a local HTTP server that can be slow or ban, sources files,
and reading the crawl database. No tests here.

The article texts are written for these tests (not taken from any data set); each
page differs (complainant number, amount, dates), so no two bodies share a hash.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RUN_DAILY = ROOT / "run_daily.py"

LENDERS = ["安逸花", "拍拍贷", "分期乐", "微粒贷", "招联金融", "洋钱罐"]
CITIES = ["成都", "郑州", "长沙", "合肥", "南宁", "昆明", "济南", "太原"]
OPENINGS = [
    "我是去年在{lender}借了{amount}元，当时说好分十二期还清，前几期都按时还了。",
    "{year}年春天我因为家里有人住院，在{lender}上申请了{amount}元的借款，一直按月还款。",
    "我在{city}打工，前年通过{lender}借过{amount}元，后来工厂停工收入断了。",
]
MIDDLES = [
    "逾期第三天开始，催收员每天从早到晚打几十个电话，短信也一条接一条，工作根本没法做。",
    "他们把我手机通讯录里的亲戚朋友都打了一遍，连多年不联系的老同学都收到了短信，这就是爆通讯录。",
    "有个自称是公安局经侦大队的人打电话来，说我涉嫌诈骗，要冒充公安来抓人，吓得我母亲一夜没睡。",
    "上周他们说已经安排人员上门，第二天真的有两个人到我租的房子门口拍照，还问邻居我在哪里上班。",
]
CLOSINGS = [
    "我不是不还钱，只是希望能协商一个还款计划，请平台管一管这些催收人员的做法。",
    "现在我已经向银保监投诉，也保留了通话录音和短信截图，希望有关部门能够处理。",
    "我愿意分期还清本金，但是这样的催收方式让全家人都活在恐惧里，实在受不了。",
]


def article_page(n: int, with_date: bool = True, long_body: bool = False) -> tuple[str, str]:
    """(title, html) of article number n: a complaint about one lender, in Simplified Chinese."""
    lender = LENDERS[n % len(LENDERS)]
    fill = {"lender": lender, "amount": 3000 + 137 * n, "year": 2020 + n % 5, "city": CITIES[n % len(CITIES)]}
    paragraphs = [
        OPENINGS[n % len(OPENINGS)].format(**fill),
        MIDDLES[n % len(MIDDLES)],
        MIDDLES[(n + 1) % len(MIDDLES)],
        "我多次打客服电话想协商延期，客服只说让我自己和催收公司谈，根本不解决问题。",
        f"第{n}号投诉人补充：到今天为止我已经还了{1000 + 59 * n}元，剩下的钱我在想办法凑。",
        CLOSINGS[n % len(CLOSINGS)],
    ]
    if long_body:
        paragraphs += [MIDDLES[(n + k) % len(MIDDLES)] for k in range(2, 6)]
        paragraphs += [f"我在{CITIES[(n + k) % len(CITIES)]}的朋友也遇到过类似的事情，第{k}次被骚扰的时候报了警。"
                       for k in range(1, 10)]
    title = f"{lender}催收太过分了，第{n}号投诉"
    date = f"<p class=\"meta\">发布时间：2026-{1 + n % 9:02d}-{1 + n % 27:02d} 10:{n % 60:02d}</p>" if with_date else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_投诉问答</title></head>"
            f"<body><nav><a href=\"/index.html\">首页</a> <a href=\"/about.html\">关于</a></nav>"
            f"<div class=\"article\"><h1>{title}</h1>{date}<div class=\"content\">{body}</div></div>"
            f"<footer>投诉问答网</footer></body></html>")
    return title, html


def index_page(count: int) -> str:
    links = "".join(f"<li><a href=\"/a/{n}.html\">投诉{n}</a></li>" for n in range(1, count + 1))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>最新投诉</title></head>"
            f"<body><h1>最新投诉</h1><ul>{links}</ul></body></html>")


class Site:
    """A generated article site on 127.0.0.1: /index.html links /a/1.html … /a/N.html.

    `delay` slows every article response (seconds); `ban` answers articles with 403;
    `hang` holds article responses until `release()` (for timeouts)."""

    def __init__(self, count: int, delay: float = 0.0, ban: bool = False, hang: bool = False,
                 with_date: bool = True, long_body: bool = False):
        self.pages = {"/index.html": index_page(count).encode("utf-8")}
        self.titles = {}
        for n in range(1, count + 1):
            title, html = article_page(n, with_date=with_date, long_body=long_body)
            self.pages[f"/a/{n}.html"] = html.encode("utf-8")
            self.titles[f"/a/{n}.html"] = title
        self.delay, self.ban, self.hang = delay, ban, hang
        self.released = threading.Event()
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                site.hits.append(path)
                if path.startswith("/a/"):
                    if site.hang:
                        site.released.wait(60)
                    if site.delay:
                        time.sleep(site.delay)
                    if site.ban:
                        return self.answer(403, b"<html><body>Forbidden</body></html>")
                body = site.pages.get(path)
                if body is None:
                    return self.answer(404, b"not found")
                self.answer(200, body)

            def answer(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def article_urls(self) -> set[str]:
        return {self.base + path for path in self.titles}

    def release(self):
        self.released.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.server.shutdown()
        self.server.server_close()


# Fast, deterministic crawls of the local site.
FAST = {"AUTOTHROTTLE_ENABLED": 0, "RETRY_TIMES": 0, "ROBOTSTXT_OBEY": 0, "LOG_LEVEL": "INFO"}


def source_entry(name: str, site: Site, **extra) -> dict:
    entry = {"name": name, "start_urls": [f"{site.base}/index.html"], "delay": 0,
             "schedule": ["06:30"], "scrapy_settings": dict(FAST)}
    entry.update(extra)
    return entry


def write_sources(path: Path, entries: list[dict], **top) -> Path:
    path.write_text(yaml.safe_dump({**top, "sources": entries}, allow_unicode=True), encoding="utf-8")
    return path


def run_daily(*args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`run_daily.py ARGS` in its own process, as an operator runs it."""
    full_env = {**os.environ, **(env or {})}
    for key in ("CUISHOU_WEBHOOK_URL", "CUISHOU_SMTP_HOST"):
        if env is None or key not in env:
            full_env.pop(key, None)
    return subprocess.run([sys.executable, str(RUN_DAILY), *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def rows(db: Path, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def stats_of(run: dict) -> dict:
    return json.loads(run["stats_json"] or "{}")


def crawl(db: Path, site: Site, source: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """One `scrapy crawl articles` of the site in its own process (the reactor cannot restart)."""
    settings = [arg for key, value in {**FAST, "DOWNLOAD_DELAY": 0}.items() for arg in ("-s", f"{key}={value}")]
    cmd = [sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"start_urls={site.base}/index.html",
           "-a", f"source={source}", *settings, *args]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, "CUISHOU_DB": str(db)}, capture_output=True,
                          text=True, timeout=timeout)


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each POST (or answers `status`)."""

    def __init__(self, status: int = 200):
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": self.rfile.read(length)})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cuishou"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
