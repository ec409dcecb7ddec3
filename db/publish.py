"""Build the public database Datasette serves from the private crawl database.

    .venv/bin/python -m db.publish --db data/cuishou.db --out data/public.db

What is published is data, in db/publish.yml: an allowlist of tables and columns
(raw HTML `pages`, `quarantine`, `alerts` and crawl internals such as
`crawl_runs.stats_json` never are), and which free-text columns are masked again
with pipelines.redact on the way (the pipeline already masked them; publishing old
rows stored by an earlier redactor must not leak what a newer one catches).

The public DB adds what journalists need and the private one does not keep:
- posts: `subject_lenders`, `mentioned_lenders`, `tactic_codes`, `month`, and
  `archive_url` (the original URL in the Internet Archive's Wayback Machine);
- lenders: `stories` (distinct story_id as subject), `posts`, `mentions`,
  `first_named`, `last_named`;
- `snapshots`: the archived copy of each post as a redacted *text* snapshot of the
  page as fetched (HTML tags, scripts and styles removed, NFKC, PII masked), so the
  archive is reachable without publishing raw HTML;
- tables `lender_months` (stories per lender per month) and `lender_tactics`
  (stories per lender and tactic, with evidence sentences), computed once here for
  the canned queries and charts;
- `posts_fts`: the CJK bigram full-text index of db/search.py.

Then the audit: every text value of every table is scanned with
pipelines.redact.find_pii (after NFKC); any hit outside the stated exceptions of
db/publish.yml (`audit_allow`) refuses the publish: exit 1, each hit named by
table, column and row, nothing written. The DB is built in a temporary file next
to --out and renamed over it only when it passed, so a reader never sees half a
database and a refused publish leaves the previous public.db as it was.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import sqlite3
import sys
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from db import search
from pipelines import redact

RULES_FILE = Path(__file__).with_name("publish.yml")
WAYBACK = "https://web.archive.org/web/"


class PublishError(Exception):
    """Publishing cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Finding:
    table: str
    column: str
    rowid: int
    kind: str
    masked: str          # the hit, masked: the audit's own output must not leak it

    def __str__(self) -> str:
        return f"{self.table}.{self.column} rowid={self.rowid}: {self.kind} {self.masked!r}"


@lru_cache(maxsize=1)
def rules() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def mask_text(value):
    """A free-text value -> the same text with personal data masked (idempotent)."""
    return redact.redact(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- snapshots

def page_text(raw: bytes, encoding: str | None = None) -> str:
    """Raw page bytes -> its visible text, one block per line, NFKC, PII masked.

    This is the published form of the archived copy: what the page said when it
    was fetched (including its chrome), without markup, scripts or personal data.
    """
    from pipelines.normalize import DecodeError, decode_bytes
    from scraper.extract import DROP_TAGS, block_text, parse_html

    try:
        text = raw.decode(encoding) if encoding else decode_bytes(raw)[0]
    except (LookupError, UnicodeDecodeError, DecodeError):
        text = decode_bytes(raw)[0] if raw else ""
    root = parse_html(text)
    for el in list(root.iter(*DROP_TAGS)):
        el.drop_tree()
    body = root.find("body")
    visible = block_text(body if body is not None else root)
    return redact.redact(unicodedata.normalize("NFKC", visible)) or ""


# ---------------------------------------------------------------- copying

def _columns(conn, schema: str, table: str) -> list[tuple]:
    return conn.execute(f"PRAGMA {schema}.table_info({_q(table)})").fetchall()


def public_table_sql(conn, table: str, columns: list[str]) -> tuple[str, list[str]]:
    """CREATE TABLE for the published columns of a private table: same types, primary
    key and foreign keys (Datasette turns those into links), nothing else."""
    info = {row[1]: row for row in _columns(conn, "src", table)}
    if not info:
        raise PublishError(f"the private database has no table {table!r}: is it a crawl database?")
    kept = [c for c in columns if c in info]
    pk = [c for c in sorted(kept, key=lambda c: info[c][5]) if info[c][5]]
    defs = []
    for c in kept:
        _, name, ctype, notnull, _default, is_pk = info[c]
        pk_inline = " PRIMARY KEY" if is_pk and len(pk) == 1 else ""
        defs.append(f"{_q(name)} {ctype or ''}{pk_inline}{' NOT NULL' if notnull and not pk_inline else ''}")
    if len(pk) > 1:
        defs.append(f"PRIMARY KEY ({', '.join(map(_q, pk))})")
    for fk in conn.execute(f"PRAGMA src.foreign_key_list({_q(table)})").fetchall():
        other, src_col, dst_col = fk[2], fk[3], fk[4]
        if src_col in kept and other in rules()["tables"]:
            defs.append(f"FOREIGN KEY ({_q(src_col)}) REFERENCES {_q(other)}({_q(dst_col or 'id')})")
    return f"CREATE TABLE {_q(table)} (\n  " + ",\n  ".join(defs) + "\n)", kept


def copy_tables(conn, progress) -> dict[str, int]:
    counts = {}
    for table, spec in rules()["tables"].items():
        if table in rules()["private_tables"]:
            raise PublishError(f"db/publish.yml lists the private table {table!r} as published")
        ddl, kept = public_table_sql(conn, table, spec["columns"])
        conn.execute(ddl)
        masked = set(spec.get("mask", []))
        cut_at = spec.get("cut_at", {})

        def column_sql(c: str) -> str:
            sql = _q(c)
            if c in cut_at:   # keep what precedes a private part (a server log path and its tail)
                marker = "'" + cut_at[c].replace("'", "''") + "'"
                sql = f"CASE WHEN instr({sql}, {marker}) > 0 THEN substr({sql}, 1, instr({sql}, {marker}) - 1) ELSE {sql} END"
            return f"mask_text({sql})" if c in masked else sql

        select = ", ".join(column_sql(c) for c in kept)
        conn.execute(f"INSERT INTO main.{_q(table)} ({', '.join(map(_q, kept))}) "
                     f"SELECT {select} FROM src.{_q(table)}")
        counts[table] = conn.execute(f"SELECT count(*) FROM main.{_q(table)}").fetchone()[0]
        progress(f"  {table}: {counts[table]:,} rows")
    return counts


DERIVED_SQL = [
    # who and what each post is about, as text (shown on the table page, exported in CSV)
    "ALTER TABLE posts ADD COLUMN subject_lenders TEXT",
    "ALTER TABLE posts ADD COLUMN mentioned_lenders TEXT",
    "ALTER TABLE posts ADD COLUMN tactic_codes TEXT",
    "ALTER TABLE posts ADD COLUMN month TEXT",
    "ALTER TABLE posts ADD COLUMN archive_url TEXT",
    "CREATE INDEX post_lenders_lender ON post_lenders(lender_id, role)",
    "CREATE INDEX post_tactics_code ON post_tactics(tactic_code)",
    "CREATE INDEX posts_story ON posts(story_id)",
    "CREATE INDEX posts_published ON posts(published_at)",
    "CREATE INDEX posts_source ON posts(source)",
    "CREATE INDEX post_urls_post ON post_urls(post_id)",
    """UPDATE posts SET
         subject_lenders = (SELECT group_concat(name, '、') FROM (SELECT l.name FROM post_lenders pl
             JOIN lenders l ON l.id = pl.lender_id WHERE pl.post_id = posts.id AND pl.role = 'subject'
             ORDER BY l.name)),
         mentioned_lenders = (SELECT group_concat(name, '、') FROM (SELECT l.name FROM post_lenders pl
             JOIN lenders l ON l.id = pl.lender_id WHERE pl.post_id = posts.id AND pl.role != 'subject'
             ORDER BY l.name)),
         tactic_codes = (SELECT group_concat(code, ' ') FROM (SELECT tactic_code AS code FROM post_tactics
             WHERE post_id = posts.id ORDER BY tactic_code)),
         month = substr(coalesce(published_at, first_seen), 1, 7),
         archive_url = '""" + WAYBACK + """' || url""",
    "ALTER TABLE lenders ADD COLUMN stories INTEGER",
    "ALTER TABLE lenders ADD COLUMN posts INTEGER",
    "ALTER TABLE lenders ADD COLUMN mentions INTEGER",
    "ALTER TABLE lenders ADD COLUMN first_named TEXT",
    "ALTER TABLE lenders ADD COLUMN last_named TEXT",
    """UPDATE lenders SET
         stories = (SELECT count(DISTINCT coalesce(p.story_id, p.id)) FROM post_lenders pl
                    JOIN posts p ON p.id = pl.post_id WHERE pl.lender_id = lenders.id AND pl.role = 'subject'),
         posts = (SELECT count(*) FROM post_lenders pl WHERE pl.lender_id = lenders.id AND pl.role = 'subject'),
         mentions = (SELECT count(*) FROM post_lenders pl WHERE pl.lender_id = lenders.id AND pl.role != 'subject'),
         first_named = (SELECT min(p.first_seen) FROM post_lenders pl JOIN posts p ON p.id = pl.post_id
                        WHERE pl.lender_id = lenders.id),
         last_named = (SELECT max(p.first_seen) FROM post_lenders pl JOIN posts p ON p.id = pl.post_id
                       WHERE pl.lender_id = lenders.id)""",
    # Aggregates are tables, computed once here (the public DB is rebuilt on every
    # publish), so charts and canned queries stay fast on a million posts.
    # stories per lender (as subject) per month: complaints, not copies
    """CREATE TABLE lender_months AS
       SELECT l.id AS lender_id, l.name AS lender, p.month AS month,
              count(DISTINCT coalesce(p.story_id, p.id)) AS stories, count(*) AS posts
       FROM post_lenders pl JOIN posts p ON p.id = pl.post_id JOIN lenders l ON l.id = pl.lender_id
       WHERE pl.role = 'subject' AND p.month IS NOT NULL
       GROUP BY l.id, p.month ORDER BY l.id, p.month""",
    "CREATE INDEX lender_months_lender ON lender_months(lender_id, month)",
    # lender x tactic: stories, and up to three evidence sentences (newest posts first)
    """CREATE TABLE lender_tactics AS
       SELECT agg.*, (SELECT group_concat(e, ' ｜ ') FROM (
                SELECT DISTINCT pt.evidence AS e FROM post_tactics pt
                JOIN post_lenders pl ON pl.post_id = pt.post_id AND pl.role = 'subject'
                WHERE pl.lender_id = agg.lender_id AND pt.tactic_code = agg.tactic_code
                  AND pt.evidence IS NOT NULL
                ORDER BY pt.post_id DESC LIMIT 3)) AS evidence
       FROM (SELECT l.id AS lender_id, l.name AS lender, t.code AS tactic_code, t.name_zh, t.name_en,
                    count(DISTINCT coalesce(p.story_id, p.id)) AS stories, count(*) AS posts
             FROM post_tactics pt JOIN posts p ON p.id = pt.post_id
             JOIN post_lenders pl ON pl.post_id = p.id AND pl.role = 'subject'
             JOIN lenders l ON l.id = pl.lender_id JOIN tactics t ON t.code = pt.tactic_code
             GROUP BY l.id, t.code) agg
       ORDER BY agg.lender_id, agg.tactic_code""",
    "CREATE INDEX lender_tactics_lender ON lender_tactics(lender_id, tactic_code)",
]

SNAPSHOTS_DDL = """CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,
  post_id INTEGER REFERENCES posts(id),
  url TEXT,
  fetched_at TEXT,
  status INTEGER,
  encoding TEXT,
  text TEXT
)"""


def write_snapshots(conn, progress, every: int = 20_000) -> int:
    """The latest archived page of every published post -> a redacted text snapshot.

    Picks the page ids first (no blobs through the sort), then reads one page at a
    time, so memory stays flat however large the archive is.
    """
    conn.execute(SNAPSHOTS_DDL)
    latest = [r[0] for r in conn.execute(
        """SELECT id FROM (SELECT id, post_id, row_number() OVER (
                              PARTITION BY post_id ORDER BY fetched_at DESC, id DESC) AS n
                           FROM src.pages WHERE post_id IS NOT NULL)
           WHERE n = 1 AND post_id IN (SELECT id FROM main.posts) ORDER BY id""")]
    count = 0
    for page_id in latest:
        post_id, url, fetched_at, status, encoding, body_gz = conn.execute(
            "SELECT post_id, url, fetched_at, status, encoding, body_gz FROM src.pages WHERE id = ?",
            (page_id,)).fetchone()
        try:
            text = page_text(gzip.decompress(body_gz), encoding)
        except (OSError, EOFError) as exc:   # a corrupt archive row: say so, publish the rest
            progress(f"  snapshots: page {page_id} of post {post_id} is unreadable ({exc}); skipped")
            continue
        conn.execute("INSERT INTO snapshots VALUES (?,?,?,?,?,?,?)",
                     (page_id, post_id, url, fetched_at, status, encoding, text))
        count += 1
        if count % every == 0:
            progress(f"  snapshots: {count:,} of {len(latest):,}")
    conn.execute("CREATE INDEX snapshots_post ON snapshots(post_id)")
    progress(f"  snapshots: {count:,} archived pages as redacted text")
    return count


# ---------------------------------------------------------------- audit

@lru_cache(maxsize=1)
def _allowances() -> dict[tuple[str, str], list[re.Pattern]]:
    allowed: dict[tuple[str, str], list[re.Pattern]] = {}
    for rule in rules().get("audit_allow", []):
        for col in rule["columns"]:
            table, column = col.split(".", 1)
            allowed.setdefault((table, column), []).append(re.compile(rule["pattern"]))
    return allowed


def audit_value(table: str, column: str, value: str) -> list[redact.PiiHit]:
    """Personal data in one published text value (NFKC first, allowances removed)."""
    text = unicodedata.normalize("NFKC", value)
    for pattern in _allowances().get((table, column), []):
        text = pattern.sub(" ", text)
    return redact.find_pii(text)


def audit(conn, progress=lambda m: None) -> list[Finding]:
    """Scan every text value of every table of the public DB for personal data."""
    findings = []
    tables = conn.execute("SELECT name, sql FROM main.sqlite_master "
                          "WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'").fetchall()
    scanned = 0
    for table, ddl in tables:
        info = conn.execute(f"PRAGMA main.table_info({_q(table)})").fetchall()
        key = "rowid"
        if "WITHOUT ROWID" in ddl.upper():   # e.g. FTS5's shadow tables: name rows by their key
            key = " || ',' || ".join(_q(r[1]) for r in sorted(info, key=lambda r: r[5]) if r[5])
        scanned_before = scanned
        for _, column, *_ in info:
            for rowid, value in conn.execute(
                    f"SELECT {key}, {_q(column)} FROM main.{_q(table)} WHERE typeof({_q(column)}) = 'text'"):
                scanned += 1
                for hit in audit_value(table, column, value):
                    findings.append(Finding(table, column, rowid, hit.kind, redact.redact(hit.text)))
        if scanned - scanned_before >= 100_000:    # long audits show they are alive
            progress(f"  audit: {table}: {scanned - scanned_before:,} text values")
    progress(f"  audit: {scanned:,} text values in {len(tables)} tables scanned, "
             f"{len(findings)} with personal data")
    return findings


# ---------------------------------------------------------------- the whole step

def _temp_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def build(private: Path, tmp: Path, progress) -> dict:
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("ATTACH DATABASE ? AS src", (private.resolve().as_uri() + "?mode=ro",))
        conn.create_function("mask_text", 1, mask_text, deterministic=True)
        conn.execute("BEGIN")
        counts = copy_tables(conn, progress)
        for sql in DERIVED_SQL:
            conn.execute(sql)
        counts["snapshots"] = write_snapshots(conn, progress)
        started = time.monotonic()
        counts["posts_fts"] = search.build_index(
            conn, conn.cursor().execute("SELECT id, title, body FROM main.posts ORDER BY id"),
            progress=lambda n: progress(f"  search index: {n:,} posts"))
        progress(f"  search index (CJK bigrams): {counts['posts_fts']:,} posts in "
                 f"{time.monotonic() - started:.1f}s")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
        findings = audit(conn, progress)
        if findings:
            raise AuditFailed(findings)
        conn.execute("ANALYZE")
        conn.execute("VACUUM")
        return counts
    finally:
        conn.close()


class AuditFailed(PublishError):
    def __init__(self, findings: list[Finding]):
        self.findings = findings
        shown = "\n".join(f"  {f}" for f in findings[:20])
        more = f"\n  … and {len(findings) - 20} more" if len(findings) > 20 else ""
        super().__init__(f"refusing to publish: {len(findings)} unmasked personal-data match(es) "
                         f"in the public database:\n{shown}{more}\n"
                         "mask them in the private database (or teach pipelines/redact.py the pattern) "
                         "and publish again")


def publish(private: str | Path, out: str | Path, progress=print) -> dict:
    """Private crawl DB -> audited public DB at `out` (atomic). Returns row counts.

    Raises PublishError (AuditFailed when personal data was found); `out` is then
    untouched and no temporary file is left.
    """
    private, out = Path(private), Path(out)
    if not private.is_file():
        raise PublishError(f"{private}: no such file")
    probe = sqlite3.connect(private.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        probe.execute("SELECT count(*) FROM posts").fetchone()
    except sqlite3.DatabaseError as exc:
        raise PublishError(f"{private}: not a crawl database ({exc})") from None
    finally:
        probe.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(out)
    tmp.unlink(missing_ok=True)
    started = time.monotonic()
    progress(f"publish: {private} -> {out}")
    try:
        counts = build(private, tmp, progress)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    progress(f"publish: {out} written in {time.monotonic() - started:.1f}s "
             f"({counts['posts']:,} posts, {counts['lenders']:,} lenders, audit clean)")
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the public Datasette DB from the private crawl DB.")
    parser.add_argument("--db", required=True, type=Path, help="private crawl database (data/cuishou.db)")
    parser.add_argument("--out", required=True, type=Path, help="public database to write (data/public.db)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = parser.parse_args(argv)
    try:
        publish(args.db, args.out, progress=(lambda m: None) if args.quiet else
                (lambda m: print(m, flush=True)))
    except AuditFailed as exc:
        print(f"error: {exc}\nnothing was written to {args.out}", file=sys.stderr)
        return 1
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
