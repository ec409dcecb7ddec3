"""The one owner of the database schema: creates tables and runs migrations.

`ensure_schema(conn)` is idempotent; every module that opens the database calls it
through `pipelines.store.open_db`.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_SQL = Path(__file__).with_name("schema.sql")

# Numbered migrations for databases created by an older schema.sql. Each entry runs
# once, in order, and bumps PRAGMA user_version. Append; never edit an old one.
MIGRATIONS: list[str] = []


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8"))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, sql in enumerate(MIGRATIONS, start=1):
        if number > version:
            conn.executescript(sql)
            conn.execute(f"PRAGMA user_version = {number}")
    if version < len(MIGRATIONS):
        conn.commit()
