"""Reads scraper/sources.yml: the sources an operator enables, without Python."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import yaml

SOURCES_FILE = Path(__file__).with_name("sources.yml")


class SourceConfigError(ValueError):
    pass


def sources_path() -> Path:
    return Path(os.environ.get("CUISHOU_SOURCES", SOURCES_FILE))


def load_sources(path: str | Path | None = None) -> list[dict]:
    """Every source of the file (articles and platforms), each with `name` and `spider`."""
    path = Path(path) if path else sources_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SourceConfigError(f"{path}: no such sources file")
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path}: not valid YAML: {exc}")
    out = []
    for section, default_spider in (("sources", "articles"), ("platforms", None)):
        for entry in data.get(section) or []:
            if not isinstance(entry, dict) or not entry.get("name"):
                raise SourceConfigError(f"{path}: every entry of '{section}' needs a name: {entry!r}")
            spider = entry.get("spider") or default_spider or entry["name"]
            source = {"enabled": True, **entry, "spider": spider}
            if spider == "articles":
                if not source.get("start_urls"):
                    raise SourceConfigError(f"{path}: source {entry['name']!r} needs start_urls")
                source.setdefault("allowed_hosts", sorted({urlsplit(u).hostname for u in source["start_urls"]}))
            out.append(source)
    return out


def get_source(name: str, path: str | Path | None = None) -> dict:
    for source in load_sources(path):
        if source["name"] == name:
            return source
    raise SourceConfigError(f"no source named {name!r} in {path or sources_path()}")
