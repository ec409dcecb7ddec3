"""Exact duplicates: one post per canonical URL, platform id or body hash.

The keys are computed here (pure functions); pipelines/store.py looks them up in
the database, since only it reads and writes SQLite.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipelines.normalize import content_hash  # noqa: F401  (re-exported: the body key)

# Query parameters that say where a visitor came from, not what the page is.
TRACKING_PARAMS = {"from", "ref", "referer", "spm", "share", "share_from", "sld",
                   "fr", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                   "utm_content", "_", "timestamp"}


def canonical_url(url: str) -> str:
    """http://Demo.local/a/1.html?from=index#top -> http://demo.local/a/1.html"""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in TRACKING_PARAMS and not k.lower().startswith("utm_")]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), ""))
