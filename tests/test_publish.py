"""db.publish: what the public DB holds, what it never holds, and the PII audit."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db import publish
from tests.conftest import ROOT
from tests.publish_corpus import FAKE_EMAIL, FAKE_FOOTER_PHONE, FAKE_ID, FAKE_PHONE, build_private_db


@pytest.fixture(scope="module")
def private_db(tmp_path_factory) -> Path:
    return build_private_db(tmp_path_factory.mktemp("private") / "cuishou.db")


@pytest.fixture(scope="module")
def public_db(private_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("public") / "public.db"
    publish.publish(private_db, out, progress=lambda m: None)
    return out


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def run_publish(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "db.publish", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_private_tables_and_crawl_internals_are_not_published(public_db):
    tables = {r[0] for r in rows(public_db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"posts", "lenders", "post_lenders", "post_tactics", "tactics", "crawl_runs", "snapshots",
            "lender_months", "lender_tactics", "posts_fts"} <= tables
    assert not tables & {"pages", "quarantine", "alerts", "lsh_buckets", "post_signatures"}
    run_columns = {r[1] for r in rows(public_db, "PRAGMA table_info(crawl_runs)")}
    assert {"source", "status", "items", "errors", "duration_s", "finish_reason"} <= run_columns
    assert "stats_json" not in run_columns
    assert "content_hash" not in {r[1] for r in rows(public_db, "PRAGMA table_info(posts)")}


def test_no_raw_html_and_no_blobs(public_db):
    for (table,) in rows(public_db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                    "AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'posts_fts%'"):
        for col in [r[1] for r in rows(public_db, f"PRAGMA table_info({table})")]:
            assert rows(public_db, f"SELECT count(*) FROM {table} WHERE typeof({col}) = 'blob'") == [(0,)]
            assert rows(public_db, f"SELECT count(*) FROM {table} WHERE {col} LIKE '%<script%' "
                                   f"OR {col} LIKE '%<html%'") == [(0,)], (table, col)


def test_personal_data_appears_nowhere_in_the_file(public_db):
    data = public_db.read_bytes()
    for secret in (FAKE_PHONE, FAKE_EMAIL, FAKE_FOOTER_PHONE, FAKE_ID, "scheduler state", "坏页面"):
        assert secret.encode() not in data, secret
    body = rows(public_db, "SELECT body FROM posts WHERE title LIKE '有钱花%'")[0][0]
    assert "139****5678" in body and "l***@example.com" in body


def test_archived_page_is_published_as_redacted_text(public_db):
    (text, url, status), = rows(public_db, "SELECT text, url, status FROM snapshots")
    assert url.startswith("http://forum.test/t/102.html") and status == 200   # latest fetch of the post
    assert "催收员打电话说明天就派人上门" in text            # decoded from GBK
    assert "138****1111" in text and "a***@forum.test" in text
    assert "tracker" not in text and "color:red" not in text and "<" not in text


def test_posts_carry_lenders_tactics_month_and_archive_link(public_db):
    (subject, tactics, month, archive), = rows(
        public_db, "SELECT subject_lenders, tactic_codes, month, archive_url FROM posts "
                   "WHERE url = 'http://forum.test/t/102.html'")
    assert subject == "安逸花" and "T11" in tactics.split() and month == "2025-03"
    assert archive == "https://web.archive.org/web/http://forum.test/t/102.html"
    assert rows(public_db, "SELECT count(*) FROM post_urls WHERE url LIKE 'http://forum.test/t/102.html%'") == [(2,)]


def test_lender_aggregates(public_db):
    (known, stories, posts, first_named), = rows(
        public_db, "SELECT known, stories, posts, first_named FROM lenders WHERE name = '青石贷'")
    assert (known, stories, posts) == (0, 6, 6) and first_named.startswith("2025-06-01")
    months = rows(public_db, "SELECT month, stories FROM lender_months WHERE lender = '青石贷' ORDER BY month")
    assert months == [("2025-01", 1), ("2025-02", 1), ("2025-05", 4)]


def test_platform_complaint_numbers_pass_the_audit(public_db):
    # 黑猫's sn 17300000001 looks like a mobile number; it is the platform's public id
    assert rows(public_db, "SELECT source_id, url FROM posts WHERE source = 'heimao'") == [
        ("17300000001", "https://tousu.sina.com.cn/complaint/view/17300000001/")]


def test_copies_of_a_story_count_once(private_db, tmp_path):
    private = tmp_path / "cuishou.db"
    shutil.copy(private_db, private)
    conn = sqlite3.connect(private)
    first, copy = [r[0] for r in conn.execute(
        "SELECT id FROM posts WHERE title IN ('青石贷催收打到我公司前台', '青石贷逾期三天就开始爆通讯录') ORDER BY id")]
    with conn:   # what the near-duplicate stage records for a copy
        conn.execute("UPDATE posts SET story_id = ?, duplicate_of = ? WHERE id = ?", (first, first, copy))
    conn.close()
    publish.publish(private, tmp_path / "public.db", progress=lambda m: None)
    assert rows(tmp_path / "public.db", "SELECT stories, posts FROM lender_months "
                                        "WHERE lender = '青石贷' AND month = '2025-05'") == [(3, 4)]
    assert rows(tmp_path / "public.db", "SELECT stories FROM lenders WHERE name = '青石贷'") == [(5,)]


# ---------------------------------------------------------------- the audit

def test_audit_names_every_kind_of_personal_data(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    values = [f"手机 {FAKE_PHONE}", f"身份证 {FAKE_ID}", "卡号 6222021234567890123", "QQ: 123456789",
              f"邮箱 {FAKE_EMAIL}", "全角 １３９１２３４５６７８", "已遮蔽 139****5678 与 l***@example.com"]
    conn.executemany("INSERT INTO notes(text) VALUES (?)", [(v,) for v in values])
    findings = publish.audit(conn)
    kinds = {(f.rowid, f.kind) for f in findings}
    assert {(1, "phone"), (2, "id_card"), (3, "bank_card"), (4, "qq"), (5, "email"), (6, "phone")} <= kinds
    assert not [f for f in findings if f.rowid == 7]            # masked values are fine
    assert all(FAKE_PHONE not in str(f) for f in findings)      # the report does not leak them


def test_publish_refuses_pii_and_writes_nothing(private_db, tmp_path):
    private = tmp_path / "cuishou.db"
    shutil.copy(private_db, private)
    conn = sqlite3.connect(private)
    with conn:   # a URL cannot be masked, so the pipeline keeps it as it is
        conn.execute("UPDATE post_urls SET url = ? WHERE url = 'http://forum.test/t/102.html?from=list'",
                     (f"http://forum.test/t/102.html?tel={FAKE_PHONE}",))
    conn.close()
    out = tmp_path / "out" / "public.db"
    result = run_publish("--db", str(private), "--out", str(out))
    assert result.returncode == 1
    assert "refusing to publish" in result.stderr and "post_urls.url" in result.stderr
    assert "phone" in result.stderr and FAKE_PHONE not in result.stderr + result.stdout
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_refused_publish_keeps_the_previous_public_db(private_db, public_db, tmp_path):
    out = tmp_path / "public.db"
    shutil.copy(public_db, out)
    before = out.read_bytes()
    private = tmp_path / "cuishou.db"
    shutil.copy(private_db, private)
    conn = sqlite3.connect(private)
    with conn:   # an operating company field that somebody typed an e-mail into
        conn.execute("UPDATE lenders SET company = ? WHERE name = '青石贷'", (f"联系 {FAKE_EMAIL}",))
    conn.close()
    result = run_publish("--db", str(private), "--out", str(out))
    assert result.returncode == 1 and "lenders.company" in result.stderr
    assert out.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_publishes_with_progress(private_db, tmp_path):
    result = run_publish("--db", str(private_db), "--out", str(tmp_path / "public.db"))
    assert result.returncode == 0, result.stderr
    assert "audit:" in result.stdout and "audit clean" in result.stdout
    assert rows(tmp_path / "public.db", "SELECT count(*) FROM posts") == [(11,)]


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "no such file"),
    (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)"), "not a crawl database"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, make, message):
    private = tmp_path / "x.db"
    make(private)
    result = run_publish("--db", str(private), "--out", str(tmp_path / "public.db"))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "public.db").exists()


def test_dead_run_log_path_stays_private(tmp_path):
    from pipelines.store import Store

    private, public = tmp_path / "private.db", tmp_path / "public.db"
    store = Store(private)
    run = store.start_run("demo")
    store.finish_run(run, status="failed", finish_reason="killed",
                     reason="killed: SIGKILL after timeout; log /var/lib/cuishou/logs/demo.log: Traceback ...")
    store.close()
    out = subprocess.run([sys.executable, "-m", "db.publish", "--db", str(private), "--out", str(public)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    reason = sqlite3.connect(public).execute("SELECT reason FROM crawl_runs").fetchone()[0]
    assert reason == "killed: SIGKILL after timeout"
