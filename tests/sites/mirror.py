"""A content site of many complaint posts on 127.0.0.1, with chained list pages.

`list_1.html → list_2.html → …` (newest first, `per_page` posts each, a 下一页 link),
one page per post (`/post/<id>.html`: headline, date line, main text, a sidebar of
other posts, a footer), served with ETag and Last-Modified and answering conditional
requests with 304, as real sites do. The server counts what it served, so a test can
tell how many pages a re-crawl fetched, and the site can change while it runs
(`add_post`, `edit_post`) to test incremental crawls.

Texts: synthetic complaints (tests/sites/complaint_text.py) by default; benchmarks may
pass other texts (e.g. read at run time from ../shared/data, never stored here).

    server = MirrorSite.synthetic(2000).serve()     # server.base_url, server.stats
    ...
    server.stop()

    python -m tests.sites.mirror --posts 2000 [--port 8770]   # serve until Ctrl-C
"""
from __future__ import annotations

import argparse
import hashlib
import html
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sites.complaint_text import SyntheticPost, compose_posts

SITE_NAME = "维权消费网"
BUILT = datetime(2025, 6, 1, tzinfo=timezone.utc)


@dataclass
class Page:
    body: bytes
    modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


class MirrorSite:
    """The site's content; pages are rendered on demand from the posts."""

    def __init__(self, posts: list[SyntheticPost], per_page: int = 20, changing_sidebar: bool = False):
        self.posts = {p.post_id: p for p in posts}
        self.per_page = per_page
        # changing_sidebar: every page's sidebar shows the newest posts, so a new post changes
        # every page's bytes (and ETag), as on many real sites; else the sidebar is fixed
        self.changing_sidebar = changing_sidebar
        self.modified = {p.post_id: BUILT for p in posts}
        self.lists_modified = BUILT
        self.lock = threading.Lock()

    @classmethod
    def synthetic(cls, count: int, seed: int = 7, per_page: int = 20, changing_sidebar: bool = False,
                  **kwargs) -> "MirrorSite":
        return cls(compose_posts(count, seed=seed, **kwargs), per_page=per_page,
                   changing_sidebar=changing_sidebar)

    # --- content ------------------------------------------------------------
    def newest_first(self) -> list[SyntheticPost]:
        return sorted(self.posts.values(), key=lambda p: (p.published, p.post_id), reverse=True)

    @property
    def list_count(self) -> int:
        return max(1, -(-len(self.posts) // self.per_page))

    def post_urls(self, base_url: str) -> list[str]:
        return [f"{base_url}/post/{pid}.html" for pid in sorted(self.posts)]

    def add_post(self, post: SyntheticPost) -> None:
        """A new post (dated today, so it tops list page 1)."""
        with self.lock:
            post.published = max(post.published, date.today())
            self.posts[post.post_id] = post
            now = datetime.now(timezone.utc)
            self.modified[post.post_id] = now
            self.lists_modified = now

    def edit_post(self, post_id: int, new_body: str) -> None:
        with self.lock:
            self.posts[post_id].body = new_body
            self.modified[post_id] = datetime.now(timezone.utc)

    # --- rendering ------------------------------------------------------------
    def _frame(self, title: str, main: str) -> str:
        hot = "".join(f'<li><a href="/post/{p.post_id}.html">{_esc(p.title)}</a></li>'
                      for p in (self.newest_first() if self.changing_sidebar
                                else [self.posts[k] for k in sorted(self.posts)])[:8])
        return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}'
                f'_{SITE_NAME}</title></head><body>'
                f'<div class="top-nav"><a href="/list_1.html">首页</a> <a href="/list_1.html">投诉</a> '
                f'<a href="/about.html">关于我们</a></div>'
                f'<div class="wrap">{main}<div class="side"><h3>热门投诉</h3><ul>{hot}</ul></div></div>'
                f'<div class="footer">Copyright © {SITE_NAME} 京ICP备00000000号</div></body></html>')

    def render_post(self, post: SyntheticPost) -> str:
        paragraphs = "".join(f"<p>{_esc(line)}</p>" for line in post.body.split("\n"))
        main = (f'<div class="article"><h1>{_esc(post.title)}</h1>'
                f'<div class="info">发布时间：{post.published.isoformat()} 10:{post.post_id % 60:02d} '
                f'来源：网友投诉</div><div class="content">{paragraphs}</div></div>')
        return self._frame(post.title, main)

    def render_list(self, number: int) -> str:
        ordered = self.newest_first()
        chunk = ordered[(number - 1) * self.per_page: number * self.per_page]
        items = "".join(f'<li><a href="/post/{p.post_id}.html">{_esc(p.title)}</a>'
                        f'<span>{p.published.isoformat()}</span></li>' for p in chunk)
        pager = f'<a href="/list_{number - 1}.html">上一页</a> ' if number > 1 else ""
        if number < self.list_count:
            pager += f'<a href="/list_{number + 1}.html">下一页</a>'
        main = f'<div class="list"><h2>最新投诉 第{number}页</h2><ul>{items}</ul><div class="pages">{pager}</div></div>'
        return self._frame(f"最新投诉 第{number}页", main)

    def page(self, path: str) -> Page | None:
        path = path.split("?", 1)[0]
        with self.lock:
            if path in ("/", "/index.html"):
                path = "/list_1.html"
            if path.startswith("/list_") and path.endswith(".html"):
                number = path[len("/list_"):-len(".html")]
                if number.isdigit() and 1 <= int(number) <= self.list_count:
                    return Page(self.render_list(int(number)).encode("utf-8"), self.lists_modified)
            if path.startswith("/post/") and path.endswith(".html"):
                pid = path[len("/post/"):-len(".html")]
                if pid.isdigit() and int(pid) in self.posts:
                    post = self.posts[int(pid)]
                    return Page(self.render_post(post).encode("utf-8"), self.modified[post.post_id])
            if path == "/about.html":
                return Page(self._frame("关于我们", f"<div><p>{SITE_NAME}是一个消费者投诉平台。</p></div>")
                            .encode("utf-8"), BUILT)
        return None

    def serve(self, port: int = 0) -> "MirrorServer":
        return MirrorServer(self, port)


class MirrorServer:
    """The site on 127.0.0.1 in a background thread; `stats` counts answers by kind."""

    def __init__(self, site: MirrorSite, port: int = 0):
        self.site = site
        self.stats: Counter = Counter()
        self.paths: Counter = Counter()
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset_stats(self) -> None:
        self.stats.clear()
        self.paths.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.paths[self.path] += 1
                if self.path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                page = server.site.page(self.path)
                if page is None:
                    server.stats["404"] += 1
                    return self._send(404, "<html><body>页面不存在</body></html>".encode(), "text/html; charset=utf-8")
                if self._not_modified(page):
                    server.stats["304"] += 1
                    self.send_response(304)
                    self.send_header("ETag", page.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                server.stats["200"] += 1
                server.stats["200_list" if "/list_" in self.path else "200_other"] += 1
                self._send(200, page.body, "text/html; charset=utf-8",
                           {"ETag": page.etag, "Last-Modified": format_datetime(page.modified, usegmt=True)})

            def _not_modified(self, page: Page) -> bool:
                etag = self.headers.get("If-None-Match")
                if etag:
                    return etag.strip() == page.etag
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return page.modified.replace(microsecond=0) <= parsedate_to_datetime(since)
                    except (TypeError, ValueError):
                        return False
                return False

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="serve a synthetic complaint site with chained list pages")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = MirrorSite.synthetic(args.posts, seed=args.seed, per_page=args.per_page).serve(args.port)
    print(f"{args.posts} posts on {server.base_url}/list_1.html (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
