"""The one owner of the database schema: creates tables and runs migrations.

`ensure_schema(conn)` is idempotent; every module that opens the database calls it
through `pipelines.store.open_db`.

How to change the schema: edit schema.sql (what a new database gets) AND, for a
change to an existing table (a new column), append the ALTER statement to
MIGRATIONS below. A new database is created at the latest version, so its
migrations never run; an older one runs the ones it lacks, in order.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_SQL = Path(__file__).with_name("schema.sql")

# Append; never edit or reorder an entry that has shipped.
MIGRATIONS: list[str] = [
    # 1: run_daily records the crawl process's exit code and the monitors that failed;
    #    alerts link to their run and carry a key that keeps one alert per finding.
    "ALTER TABLE crawl_runs ADD COLUMN exit_code INTEGER;"
    "ALTER TABLE crawl_runs ADD COLUMN monitors_failed TEXT;"
    "ALTER TABLE alerts ADD COLUMN run_id INTEGER REFERENCES crawl_runs(id);"
    "ALTER TABLE alerts ADD COLUMN dedup_key TEXT;",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    is_new = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'posts'").fetchone()[0] == 0
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not is_new:
        for number, sql in enumerate(MIGRATIONS, start=1):
            if number > version:
                conn.executescript(sql)
                conn.execute(f"PRAGMA user_version = {number}")
    conn.executescript(SCHEMA_SQL.read_text(encoding="utf-8"))
    if is_new:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
