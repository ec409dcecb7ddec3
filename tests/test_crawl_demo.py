"""The real articles spider against the bundled demo site on a local server,
asserting on the SQLite database it leaves (demo/expected.json is the oracle)."""
from __future__ import annotations

import json
import sqlite3
import unicodedata

import pytest

from tests.conftest import ROOT, run_crawl

EXPECTED = json.loads((ROOT / "demo" / "expected.json").read_text(encoding="utf-8"))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@pytest.fixture(scope="module")
def crawled(demo_site, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("crawl") / "cuishou.db"
    first = run_crawl(db_path, "articles", "-a", f"start_urls={demo_site}/index.html")
    assert first.returncode == 0, first.stderr[-3000:]
    conn = sqlite3.connect(db_path)
    before = {row[0]: row[1:] for row in conn.execute("SELECT url, id, first_seen, last_seen FROM posts")}
    counts_before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("posts", "post_urls", "post_lenders", "post_tactics", "lenders")}
    conn.close()
    import time
    time.sleep(1.1)   # last_seen has one-second resolution
    second = run_crawl(db_path, "articles", "-a", f"start_urls={demo_site}/index.html")
    assert second.returncode == 0, second.stderr[-3000:]
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    yield {"conn": conn, "base": demo_site, "before": before, "counts_before": counts_before,
           "log": first.stderr}
    conn.close()


def post_by_path(crawled, path):
    return crawled["conn"].execute(
        "SELECT * FROM posts WHERE id = (SELECT post_id FROM post_urls WHERE url = ?)",
        (crawled["base"] + path,)).fetchone()


def test_stores_exactly_the_article_pages(crawled):
    urls = {r["url"] for r in crawled["conn"].execute("SELECT url FROM posts")}
    expected = {crawled["base"] + a["path"] for a in EXPECTED["articles"]}
    assert urls == expected


@pytest.mark.parametrize("article", EXPECTED["articles"], ids=lambda a: a["path"])
def test_title_date_and_every_url(crawled, article):
    post = post_by_path(crawled, article["path"])
    assert post is not None, f"{article['path']} not stored"
    assert post["title"] == nfkc(article["title"])
    assert post["published_at"][:10] == article["published_at"]
    stored_urls = {r[0] for r in crawled["conn"].execute("SELECT url FROM post_urls WHERE post_id = ?", (post["id"],))}
    assert {crawled["base"] + u for u in article["urls"]} <= stored_urls


@pytest.mark.parametrize("article", EXPECTED["articles"], ids=lambda a: a["path"])
def test_lenders_and_roles(crawled, article):
    post = post_by_path(crawled, article["path"])
    rows = crawled["conn"].execute(
        "SELECT l.name, pl.role, l.known FROM post_lenders pl JOIN lenders l ON l.id = pl.lender_id "
        "WHERE pl.post_id = ?", (post["id"],)).fetchall()
    subjects = {r["name"] for r in rows if r["role"] == "subject"}
    mentioned = {r["name"] for r in rows if r["role"] == "mentioned"}
    assert subjects == set(article["subject"])
    assert set(article.get("mentioned_in_body", [])) <= mentioned
    assert mentioned <= set(article.get("mentioned", [])) | set(article.get("mentioned_in_body", []))
    if article.get("subject_known") is False:
        assert {r["known"] for r in rows if r["role"] == "subject"} == {0}


@pytest.mark.parametrize("article", EXPECTED["articles"], ids=lambda a: a["path"])
def test_tactics_with_evidence(crawled, article):
    post = post_by_path(crawled, article["path"])
    rows = crawled["conn"].execute("SELECT tactic_code, evidence FROM post_tactics WHERE post_id = ?",
                                   (post["id"],)).fetchall()
    codes = {r["tactic_code"] for r in rows}
    assert set(article["tactics"]) <= codes
    assert not codes & set(article.get("not_tactics", []))
    assert codes <= set(article["tactics"]) | set(article.get("optional_tactics") or [])
    for r in rows:
        assert r["evidence"] and r["evidence"] in post["body"] + "\n" + post["title"]


def test_no_personal_data_or_boilerplate_in_bodies(crawled):
    from pipelines.redact import find_pii

    for post in crawled["conn"].execute("SELECT url, title, body FROM posts"):
        assert find_pii(post["body"]) == [], post["url"]
        assert "13812345678" not in post["body"]
        assert "责任编辑" not in post["body"] and "内容侵权" not in post["body"]
        assert "(tài)" not in post["body"]


def test_recrawl_updates_last_seen_without_new_rows(crawled):
    conn = crawled["conn"]
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in crawled["counts_before"]}
    assert counts == crawled["counts_before"]
    for url, id_, first_seen, last_seen in conn.execute("SELECT url, id, first_seen, last_seen FROM posts"):
        assert crawled["before"][url][0] == id_
        assert first_seen == crawled["before"][url][1]
        assert last_seen > crawled["before"][url][2]


def test_each_crawl_is_recorded(crawled):
    runs = crawled["conn"].execute("SELECT * FROM crawl_runs ORDER BY id").fetchall()
    assert len(runs) == 2
    first, second = runs
    assert first["status"] == "ok" and first["finish_reason"] == "finished"
    assert first["stored"] == len(EXPECTED["articles"])
    assert second["stored"] == 0 and second["duplicates"] == second["items"] > 0
    assert first["requests"] > len(EXPECTED["articles"]) and first["finished"] >= first["started"]


def test_raw_pages_are_archived_with_their_hash(crawled):
    import gzip
    import hashlib

    rows = crawled["conn"].execute("SELECT url, sha256, body_gz, encoding FROM pages").fetchall()
    assert len({r["url"] for r in rows}) >= len(EXPECTED["articles"])
    for r in rows:
        assert hashlib.sha256(gzip.decompress(r["body_gz"])).hexdigest() == r["sha256"]
    big5 = [r for r in rows if r["url"].endswith("/a/1002.html")]
    assert big5 and big5[0]["encoding"].startswith("big5")


def test_missing_and_external_pages_do_not_break_the_crawl(crawled):
    urls = {r[0] for r in crawled["conn"].execute("SELECT url FROM post_urls")}
    assert not any("example.com" in u for u in urls)
    assert not any(u.endswith("/a/9999.html") for u in urls)
    stats = json.loads(crawled["conn"].execute("SELECT stats_json FROM crawl_runs ORDER BY id LIMIT 1").fetchone()[0])
    assert stats.get("downloader/response_status_count/404", 0) >= 1
    assert "Crawled (200) <GET http://example.com" not in crawled["log"]


def test_source_from_sources_yml_with_its_politeness(demo_site, tmp_path):
    """-a source=NAME reads start URLs and limits from the sources file (no Python edit)."""
    sources = tmp_path / "sources.yml"
    sources.write_text(f"sources:\n  - name: demo-site\n    start_urls: ['{demo_site}/index.html']\n"
                       f"    max_pages: 4\n    delay: 0\n    concurrency: 1\n", encoding="utf-8")
    db_path = tmp_path / "c.db"
    out = run_crawl(db_path, "articles", "-a", "source=demo-site", env={"CUISHOU_SOURCES": str(sources)})
    assert out.returncode == 0, out.stderr[-2000:]
    conn = sqlite3.connect(db_path)
    source, reason, requests = conn.execute("SELECT source, finish_reason, requests FROM crawl_runs").fetchone()
    assert (source, reason) == ("demo-site", "closespider_pagecount")   # max_pages applied
    assert requests < 19        # a full crawl of the demo site makes 19 requests
    assert {r[0] for r in conn.execute("SELECT DISTINCT source FROM posts")} <= {"demo-site"}
