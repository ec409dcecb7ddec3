"""The pipeline as plain functions: item -> ProcessedPost.

validate -> normalize -> redact -> dedup keys -> lenders -> tactics. Scrapy's item
pipeline (scraper/pipelines.py), pipelines.explain and the evaluation all call
`process_item`; only pipelines/store.py writes the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipelines import dedup, lenders, normalize, redact, tactics
from pipelines.validate import InvalidItem, validate_item

COMPLAINT_FIELDS = ("complaint_target", "complaint_issue", "complaint_demand",
                    "complaint_amount", "complaint_status")


@dataclass
class ProcessedPost:
    url: str
    source: str
    title: str
    body: str
    content_hash: str
    kind: str = "article"
    source_id: str | None = None
    published_at: str | None = None
    urls: list[str] = field(default_factory=list)       # every URL it was reached at
    lenders: list[lenders.LenderMatch] = field(default_factory=list)
    tactics: list[tactics.TacticHit] = field(default_factory=list)
    complaint: dict = field(default_factory=dict)
    timeline: list = field(default_factory=list)
    fetched_url: str | None = None                     # the URL as requested (evidence)
    raw_body: bytes | None = None
    raw_status: int | None = None
    raw_encoding: str | None = None
    fetched_at: str | None = None
    removed: bool = False
    fingerprint: dedup.Fingerprint | None = None       # near-duplicate/template keys (dedup.py)

    def summary(self) -> dict:
        """The JSON shape printed by pipelines.explain."""
        return {
            "url": self.url,
            "title": self.title,
            "published_at": self.published_at,
            "body": self.body,
            "lenders": [l.as_dict() for l in self.lenders],
            "tactics": [t.as_dict() for t in self.tactics],
            "content_hash": self.content_hash,
        }


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def process_item(item: dict, registry: lenders.Registry | None = None) -> ProcessedPost:
    """One scraped item -> a post ready to store. Raises InvalidItem (with the stage)."""
    validate_item(item)
    url = dedup.canonical_url(item["url"])
    urls = sorted({item["url"], url, *item.get("urls", [])})
    if item.get("removed"):
        return ProcessedPost(url=url, source=item["source"], title="", body="", content_hash="",
                             kind=item.get("kind") or "complaint", source_id=item.get("source_id"),
                             urls=urls, removed=True, fetched_at=item.get("fetched_at"))
    try:
        norm = normalize.normalize_post(item.get("title"), item.get("body"))
    except Exception as exc:  # a bug on odd input must quarantine the item, not kill the crawl
        raise InvalidItem("normalize", f"{type(exc).__name__}: {exc}") from exc
    if not norm.body.strip():
        raise InvalidItem("normalize", "body is empty after boilerplate removal")
    title = redact.redact(norm.title)
    body = redact.redact(norm.body)
    # Lines the normalizer set aside from inside the article (下一篇:…, 相关推荐) may name
    # lenders as `mentioned`. Page-wide navigation and sidebars (item["chrome"]) are the
    # same on every page of a site, so lenders named only there are not recorded at all.
    chrome = [redact.redact(line) for line in norm.chrome]
    complaint = {k: redact.redact(normalize.normalize_line(item[k])) if item.get(k) else None
                 for k in COMPLAINT_FIELDS}
    found_lenders = lenders.find_lenders(title, body, chrome, target=complaint.get("complaint_target"),
                                         registry=registry).lenders
    found_tactics = tactics.find_tactics(title, body)
    return ProcessedPost(
        url=url, source=item["source"], title=title, body=body,
        content_hash=dedup.content_hash(body), kind=item.get("kind") or "article",
        source_id=item.get("source_id"), published_at=item.get("published_at"), urls=urls,
        lenders=found_lenders, tactics=found_tactics, complaint=complaint,
        fingerprint=dedup.fingerprint(body, found_lenders),
        fetched_url=item.get("raw_url") or item["url"],   # 聚投诉: the content API that was archived
        timeline=[{**event, "text": redact.redact(normalize.normalize_line(event.get("text") or ""))}
                  for event in item.get("complaint_timeline") or []],
        raw_body=item.get("raw_body"),
        raw_status=item.get("raw_status"), raw_encoding=item.get("raw_encoding"),
        fetched_at=item.get("fetched_at") or now_iso(),
    )
