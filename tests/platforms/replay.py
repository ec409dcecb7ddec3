"""A local HTTP server that replays recorded platform responses.

Routes match a path and a subset of query parameters and answer with recorded
bytes, a status and headers. A route can check the 黑猫 request signature the
way the site would (a wrong signature gets an error envelope, and is logged so a
test can assert that none happened). Every request is logged.

    with ReplayServer() as server:
        server.add("/api/company/received_complaints", {"couid": "1", "page": "1"}, body=b"{...}", signed=True)
        ... run `scrapy crawl heimao -s HEIMAO_BASE_URL={server.url}` ...
        assert server.hits("/complaint/view/17348142332/") == 1
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from scraper.platforms import heimao

UNSIGNED = {"ts", "rs", "signature", "callback", "_"}


@dataclass
class Route:
    path: str
    query: dict[str, str]
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    signed: bool = False


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    signature_ok: bool | None


def signature_ok(query: dict[str, str]) -> bool:
    """Recompute the signature from the query as the site would."""
    if not {"ts", "rs", "signature"} <= set(query):
        return False
    values = [v for k, v in query.items() if k not in UNSIGNED]
    return heimao.signature(query["ts"], query["rs"], values) == query["signature"]


class ReplayServer:
    def __init__(self):
        self.routes: list[Route] = []
        self.log: list[Hit] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                server.handle(self)

            def log_message(self, *args):  # keep pytest output clean
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> "ReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- configuration ----------------------------------------------------
    def add(self, path: str, query: dict[str, str] | None = None, *, body: bytes | str = b"", status: int = 200,
            headers: dict[str, str] | None = None, content_type: str | None = None, signed: bool = False) -> None:
        """Add a route (later routes win over earlier ones for the same request)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = dict(headers or {})
        if content_type:
            all_headers["Content-Type"] = content_type
        with self.lock:
            self.routes.insert(0, Route(path, {k: str(v) for k, v in (query or {}).items()}, status, data,
                                        all_headers, signed))

    def reset(self) -> None:
        with self.lock:
            self.routes.clear()
            self.log.clear()

    # -- inspection -------------------------------------------------------
    def hits(self, path: str, **query: str) -> int:
        return sum(1 for h in self.log if h.path == path and all(h.query.get(k) == str(v) for k, v in query.items()))

    def bad_signatures(self) -> list[Hit]:
        return [h for h in self.log if h.signature_ok is False]

    # -- serving ----------------------------------------------------------
    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            route = next((r for r in self.routes if r.path == parts.path
                          and all(query.get(k) == v for k, v in r.query.items())), None)
        checked: bool | None = None
        if route is None:
            status, body, headers = 404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}
        elif route.signed and not signature_ok(query):
            checked = False
            status, headers = 200, {"Content-Type": "application/json;charset=UTF-8"}
            body = b'{"result":{"status":{"code":10001,"msg":"signature error (replay server)"},"data":[]}}'
        else:
            checked = True if route.signed else None
            status, body, headers = route.status, route.body, route.headers
        with self.lock:
            self.log.append(Hit(parts.path, query, {k.lower(): v for k, v in request.headers.items()}, status, checked))
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
