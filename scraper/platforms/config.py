"""Per-platform crawl configuration.

Precedence, lowest first: built-in defaults < the entry of `platforms:` in
scraper/sources.yml < Scrapy settings (`HEIMAO_MAX_PAGES`, `JUTOUSU_BASE_URL` …)
< spider arguments (`-a couids=5866754241,1712804040`).

sources.yml (read by scraper/sources.py too) lists platforms like article sources:

    platforms:
      - name: heimao            # the entry a spider reads: -a source_name=…, default the spider name
        spider: heimao
        couids: [{couid: "5866754241", name: 功夫贷}]
        delay: 5                # politeness, same keys as article sources
        concurrency: 1
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

SOURCES_FILE = Path(__file__).resolve().parent.parent / "sources.yml"

DEFAULTS: dict[str, dict[str, Any]] = {
    "heimao": {
        "base_url": "https://tousu.sina.com.cn",
        "couids": [],
        "keywords": [],
        "cookie_env": "HEIMAO_COOKIE",
        "page_size": 10,
        "max_pages": 5,
        "stop_after_known": 5,
        "revisit_open_days": 3,
        "revisit_final_days": 30,
        "revisit_max": 20,
        "final_statuses": ["已完成"],
        "mismatch_limit": 3,
    },
    "jutousu": {
        "base_url": "https://ts.21cn.com",
        "merchants": [],
        "keywords": [],
        "cookie_env": "JUTOUSU_COOKIE",
        "content_endpoint": "api",
        "max_pages": 5,
        "stop_after_known": 5,
        "revisit_open_days": 7,
        "revisit_final_days": None,
        "revisit_max": 20,
        "final_statuses": [],
        "mismatch_limit": 3,
    },
}
# Politeness keys of an entry (the same names article sources use). user_agent has
# no default: the project's USER_AGENT applies unless an entry sets its own.
POLITENESS_DEFAULTS = {"delay": 5.0, "concurrency": 1, "autothrottle": True, "user_agent": None}
LIST_KEYS = {"couids", "keywords", "merchants", "final_statuses"}
INT_KEYS = {"page_size", "max_pages", "stop_after_known", "revisit_max", "mismatch_limit"}
FLOAT_KEYS = {"revisit_open_days", "revisit_final_days"}


def sources_file(settings=None) -> Path:
    """The sources file: setting or environment variable CUISHOU_SOURCES, else scraper/sources.yml."""
    value = (settings.get("CUISHOU_SOURCES") if settings is not None else None) or os.environ.get("CUISHOU_SOURCES")
    return Path(value) if value else SOURCES_FILE


def platform_entry(name: str, settings=None, spider: str | None = None) -> dict[str, Any]:
    """The `platforms:` entry called `name` ({} when the file or the entry is absent)."""
    path = sources_file(settings)
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("platforms") or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: 'platforms' must be a list of entries with a name")
    for entry in entries:
        if isinstance(entry, dict) and entry.get("name") == name:
            if spider and entry.get("spider", name) != spider:
                raise ValueError(f"{path}: platform {name!r} is for spider {entry.get('spider')!r}, not {spider!r}")
            return entry
    return {}


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _coerce(key: str, value: Any) -> Any:
    if key in LIST_KEYS:
        return _as_list(value)
    if value is None or value == "":
        return None
    if key in INT_KEYS:
        return int(value)
    if key in FLOAT_KEYS:
        return float(value)
    return value


def platform_config(spider: str, settings=None, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merged configuration of one platform spider (see the module docstring)."""
    args = args or {}
    source_name = str(args.get("source_name") or spider)
    config = dict(DEFAULTS[spider])
    for key, value in platform_entry(source_name, settings, spider).items():
        if key in DEFAULTS[spider]:
            config[key] = _coerce(key, value)
    for key in DEFAULTS[spider]:
        setting = settings.get(f"{spider.upper()}_{key.upper()}") if settings is not None else None
        if setting is not None:
            config[key] = _coerce(key, setting)
    for key, value in args.items():
        if key in DEFAULTS[spider]:
            config[key] = _coerce(key, value)
    config["base_url"] = str(config["base_url"]).rstrip("/")
    config["source_name"] = source_name
    cookie_env = config.get("cookie_env")
    setting_cookie = settings.get(f"{spider.upper()}_COOKIE") if settings is not None else None
    config["cookie"] = setting_cookie or (os.environ.get(cookie_env) if cookie_env else None) or None
    return config


def politeness(spider: str, settings=None, source_name: str | None = None) -> dict[str, Any]:
    """Scrapy settings for the platform's politeness, from its sources.yml entry."""
    entry = platform_entry(source_name or spider, settings)
    section = {**POLITENESS_DEFAULTS, **{k: entry[k] for k in POLITENESS_DEFAULTS if entry.get(k) is not None}}
    result = {
        "DOWNLOAD_DELAY": float(section["delay"]),
        "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50%, so requests do not come at a fixed beat
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(section["concurrency"]),
        "AUTOTHROTTLE_ENABLED": bool(section["autothrottle"]),
        "AUTOTHROTTLE_START_DELAY": max(float(section["delay"]), 1.0),
    }
    if section.get("user_agent"):
        result["USER_AGENT"] = str(section["user_agent"])
    return result
