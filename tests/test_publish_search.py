"""The CJK bigram search of db/search.py: terms, queries, and recall against a
substring search of the normalized text on a synthetic corpus."""
from __future__ import annotations

import random
import sqlite3
import unicodedata

import opencc
import pytest

from bench.synthetic_corpus import CorpusMaker
from db import search


def test_index_terms_are_bigrams_plus_the_last_character_of_each_run():
    assert search.index_terms("极融借款催收态度恶劣") == "极融 融借 借款 款催 催收 收态 态度 度恶 恶劣 劣"
    assert search.index_terms("下载APP,态度差。") == "下载 载a ap pp p 态度 度差 差"
    assert search.index_terms("Ｖ５") == "v5 5"          # NFKC and lower case
    assert search.index_terms("") == ""


@pytest.mark.parametrize("query,expression", [
    ("态度", '"态度"'),
    ("態度", '"态度"'),                                   # Traditional -> Simplified
    ("态", '"态"*'),                                      # one character: prefix query
    ("爆通讯录", '"爆通" + "通讯" + "讯录"'),              # a phrase of bigrams
    ("ＡＰＰ", '"ap" + "pp"'),
    ("上门 態度", '"上门" AND "态度"'),                    # words: all must occur
    ('态"度', '"态"* AND "度"*'),                          # a quote is punctuation, not syntax
    ("", '""'), ("，。!", '""'),                           # nothing to look for: matches nothing
])
def test_match_expression(query, expression):
    assert search.match_expression(query) == expression


def test_snippet_shows_the_hit_in_context():
    text = "第一行没有。\n" + "很长的前文" * 10 + "他们的态度非常恶劣" + "后文" * 30
    snip = search.snippet(text, "態度", width=6)
    assert snip == "…的前文他们的态度非常恶劣后文…"


@pytest.fixture(scope="module")
def corpus():
    """2,000 synthetic posts (random Han words, collection vocabulary, Latin) in an
    FTS5 bigram index, and the posts themselves for the substring reference."""
    maker = CorpusMaker(seed=11)
    posts = [maker.post(i) for i in range(1, 2001)]
    conn = sqlite3.connect(":memory:")
    search.register_functions(conn)
    rows = [(p[0], p[3], p[5]) for p in posts]
    search.build_index(conn, rows)
    yield conn, {pid: f"{title}\n{body}" for pid, title, body in rows}
    conn.close()


def fts_ids(conn, query) -> set[int]:
    return {r[0] for r in conn.execute(
        f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH cjk_match(?)", (query,))}


def sample_queries(texts: dict[int, str], n: int, seed: int = 5) -> list[str]:
    """Substrings of random posts, 1 to 6 characters, some across punctuation."""
    rng = random.Random(seed)
    values = list(texts.values())
    queries = []
    while len(queries) < n:
        text = rng.choice(values)
        length = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6))
        start = rng.randrange(0, max(1, len(text) - length))
        q = text[start:start + length].strip()
        if q:
            queries.append(q)
    return queries


def test_recall_equals_substring_search(corpus):
    """Every post whose text contains the query is found, and nothing else: the
    bigram phrase of a run is in the index exactly when the run is in the text."""
    conn, texts = corpus
    queries = sample_queries(texts, 400) + ["催收", "态度", "上门", "爆通讯录", "冒充公检法", "APP", "app",
                                            "款", "催", "劣"]
    folded = {pid: unicodedata.normalize("NFKC", text).lower() for pid, text in texts.items()}
    checked = 0
    for q in queries:
        runs = search.query_runs(q)     # the reference: every run of the query is a substring
        if not runs:                    # only punctuation: not a search, matches nothing
            assert fts_ids(conn, q) == set()
            continue
        expected = {pid for pid, text in folded.items() if all(run in text for run in runs)}
        found = fts_ids(conn, q)
        assert expected <= found, f"{q!r}: missed {sorted(expected - found)[:5]}"
        if len(runs) == 1:
            assert found == expected, f"{q!r}: {len(found - expected)} false hits"
        checked += len(expected)
    assert checked > 50_000      # the queries do hit: common characters and words


def test_traditional_queries_find_the_simplified_posts(corpus):
    conn, texts = corpus
    to_traditional = opencc.OpenCC("s2t").convert
    pairs = [(q, to_traditional(q)) for q in ["态度", "爆通讯录", "借款", "电话", "恶劣", "暴力催收", "家人"]]
    assert any(s != t for s, t in pairs)          # the queries really are written differently
    for simplified, traditional in pairs:
        expected = {pid for pid, text in texts.items() if simplified in text}
        assert expected and fts_ids(conn, traditional) == expected, traditional


def test_canned_search_ranks_title_hits_first(tmp_path):
    conn = sqlite3.connect(tmp_path / "r.db")
    search.register_functions(conn)
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, url TEXT, published_at TEXT, "
                 "source TEXT, subject_lenders TEXT, tactic_codes TEXT, body TEXT)")
    posts = [(1, "还款问题", "http://t/1", "2025-01-01", "s", None, None, "正文提到一次上门。"),
             (2, "催收上门", "http://t/2", "2024-01-01", "s", None, None, "他们说要上门。"),
             (3, "无关", "http://t/3", "2025-02-01", "s", None, None, "没有这个词。")]
    conn.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?)", posts)
    search.build_index(conn, [(p[0], p[1], p[7]) for p in posts])
    result = conn.execute(search.canned_search_sql(), {"q": "上門"}).fetchall()
    assert [r[0] for r in result] == [2, 1]
    assert result[0][7] == "他们说要上门。"        # snippet column
