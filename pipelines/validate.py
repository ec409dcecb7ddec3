"""Items are checked against scraper/item_schema.json before any stage runs; a
failing item goes to quarantine with the reason instead of crashing the crawl."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "scraper" / "item_schema.json"


class InvalidItem(ValueError):
    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


@lru_cache(maxsize=1)
def _validator():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_item(item: dict) -> None:
    """Raise InvalidItem naming the first problem (JSON path and message)."""
    plain = {k: v for k, v in item.items() if k != "raw_body"}
    errors = sorted(_validator().iter_errors(plain), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(map(str, err.absolute_path)) or "item"
        raise InvalidItem("validate", f"{where}: {err.message[:200]}")
