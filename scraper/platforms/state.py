"""What the crawl database already holds about a platform's complaints (read-only).

Spiders use this to stop paginating at known complaints and to pick the known
ones worth re-visiting (status may have changed, or the complaint may be gone).
Only pipelines/store.py writes the database; this module opens it read-only.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


@dataclass(frozen=True)
class Known:
    source_id: str
    url: str | None
    status: str | None
    last_seen: str | None
    removed: bool


def db_path(settings=None) -> str | None:
    """The crawl DB: Scrapy setting CUISHOU_DB, else the CUISHOU_DB environment variable."""
    value = settings.get("CUISHOU_DB") if settings is not None else None
    return value or os.environ.get("CUISHOU_DB") or None


def known_complaints(path: str | None, source: str) -> dict[str, Known]:
    """source_id -> Known for every complaint of `source` in the DB; {} when the DB
    or its posts table does not exist yet (first run)."""
    if not path or not Path(path).exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute(
            "SELECT source_id, url, complaint_status, last_seen, removed_at FROM posts"
            " WHERE source = ? AND source_id IS NOT NULL",
            (source,),
        ).fetchall()
    except sqlite3.Error:  # no posts table yet
        return {}
    finally:
        conn.close()
    return {str(sid): Known(str(sid), url, status, last_seen, removed is not None) for sid, url, status, last_seen, removed in rows}


def _parse(moment: str | None) -> datetime | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def due_for_revisit(
    known: dict[str, Known],
    final_statuses: frozenset[str] | set[str],
    open_after_days: float,
    final_after_days: float | None,
    limit: int,
    now: datetime | None = None,
) -> list[Known]:
    """Known, not-removed complaints to fetch again, least recently seen first.

    Open complaints (status not in `final_statuses`, or unknown) are due after
    `open_after_days`: their status may have moved (处理中 → 已完成). Finished ones
    are due after `final_after_days` (None: never), to notice removals.
    """
    now = now or datetime.now(timezone.utc)
    due: list[tuple[datetime, Known]] = []
    for entry in known.values():
        if entry.removed:
            continue
        is_final = entry.status in final_statuses
        days = final_after_days if is_final else open_after_days
        if days is None:
            continue
        seen = _parse(entry.last_seen) or datetime.min.replace(tzinfo=timezone.utc)
        if now - seen >= timedelta(days=days):
            due.append((seen, entry))
    due.sort(key=lambda pair: (pair[0], pair[1].source_id))
    return [entry for _, entry in due[: max(limit, 0)]]
