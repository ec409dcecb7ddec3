"""`make demo`: serve the bundled demo site, crawl it, publish, serve Datasette.

    python -m demo.run [--site-port 8765] [--port 8001] [--no-serve]

Prints each step as it goes; the crawl's own progress comes from Scrapy's log.
"""
from __future__ import annotations

import argparse
import functools
import os
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "demo" / "site"
BIN = Path(sys.executable).parent


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def serve_directory(directory: Path, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """A threaded static-file server on 127.0.0.1 (port 0: a free one) and its base URL.
    The demo and the tests serve recorded pages with it."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def summary(db_path: Path) -> str:
    conn = sqlite3.connect(db_path)
    lines = []
    for title, n, lenders, tactics in conn.execute(
        """SELECT p.title, (SELECT count(*) FROM post_urls u WHERE u.post_id = p.id),
                  (SELECT group_concat(l.name || ':' || pl.role, ' ') FROM post_lenders pl
                     JOIN lenders l ON l.id = pl.lender_id WHERE pl.post_id = p.id),
                  (SELECT group_concat(tactic_code, ',') FROM post_tactics t WHERE t.post_id = p.id)
           FROM posts p ORDER BY p.published_at"""):
        lines.append(f"    {title[:28]:<30} urls={n} lenders=[{lenders or ''}] tactics=[{tactics or ''}]")
    conn.close()
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-port", type=int, default=8765)
    parser.add_argument("--port", type=int, default=8001, help="Datasette port")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--no-serve", action="store_true", help="stop after publishing")
    args = parser.parse_args(argv)

    args.data = args.data.resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    private, public = args.data / "cuishou.db", args.data / "public.db"
    start_url = f"http://127.0.0.1:{args.site_port}/index.html"
    step(f"serving the demo site ({shown(SITE)}) on {start_url}")
    server, _ = serve_directory(SITE, args.site_port)

    step(f"crawling it with the articles spider into {shown(private)}")
    started = time.monotonic()
    env = {**os.environ, "CUISHOU_DB": str(private)}
    crawl = subprocess.run(
        [str(BIN / "scrapy"), "crawl", "articles", "-a", f"start_urls={start_url}", "-a", "source=demo",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"],
        cwd=ROOT, env=env)
    server.shutdown()
    if crawl.returncode != 0:
        print("demo: the crawl failed (see the log above)", file=sys.stderr)
        return 1
    step(f"crawl done in {time.monotonic() - started:.1f}s; stored posts:")
    print(summary(private), flush=True)

    step(f"publishing {shown(public)} (PII audit included)")
    published = subprocess.run([sys.executable, "-m", "db.publish", "--db", str(private), "--out", str(public)],
                               cwd=ROOT)
    if published.returncode != 0:
        print("demo: publishing failed (see above)", file=sys.stderr)
        return 1
    if args.no_serve:
        return 0
    step(f"serving Datasette on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)")
    try:
        return subprocess.run([sys.executable, "-m", "db.serve", "--db", str(public), "--port", str(args.port)],
                              cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
