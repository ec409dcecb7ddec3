"""Chinese full-text search for the public database: CJK bigram terms in an FTS5 index.

SQLite's FTS5 tokenizers do not segment Chinese: `unicode61` keeps a whole run of
Han characters as one token (态度恶劣 is one word, so 态度 finds nothing) and
`trigram` cannot answer queries shorter than three characters. A segmenter (jieba)
would miss words it cuts differently from the reader (催收态度 -> 催收/态度 is fine,
but 收态 or a lender's odd name is not), so it cannot promise "every post that
contains the text". Overlapping bigrams can:

    index_terms("极融借款催收态度恶劣") == "极融 融借 借款 款催 催收 收态 态度 度恶 恶劣 劣"

Every run of letters/digits (Han, Latin, digits; punctuation and spaces split runs)
becomes its overlapping bigrams followed by its last character alone. The terms
are written, space-separated, into a contentless FTS5 table (tokenizer `ascii`, so
a term is exactly what we wrote; `prefix='1'` adds a one-character prefix index):

- a query of two or more characters is the FTS5 phrase of its bigrams, which the
  index holds at consecutive positions exactly when the run contains the query:
  态度 -> "态度"; 爆通讯录 -> "爆通 通讯 讯录". The lone last character of each run
  stands between runs, so a phrase never matches across punctuation.
- a one-character query is the prefix query "态"*: every character of a run starts
  one term (a bigram, or the lone last character), so this finds every post that
  contains it, through the prefix index, without scanning the table.
- the query is normalized like the posts (NFKC, Traditional -> Simplified, lower
  case), so 態度, 态度 and ＡＰＰ/app all work; words separated by spaces must
  all occur (AND), in any order.

Recall against a plain substring search of the normalized body is therefore
complete by construction, and tests/test_publish_search.py checks it on a corpus.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from operator import add
from pathlib import Path

FTS_TABLE = "posts_fts"
# A run of letters or digits: what a search term can be made of. Underscore,
# punctuation, spaces and symbols split runs (as they split words for a reader).
WORD_RUN = re.compile(r"[^\W_]+")

FTS_CREATE = (f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
              "title, body, content='', tokenize='ascii', prefix='1')")

# A query that matches nothing (FTS5 has no literal "false"): the empty phrase.
MATCH_NOTHING = '""'


_OPENCC_LOCK = threading.Lock()   # Datasette runs queries on several threads


def _to_simplified(text: str) -> str:
    from pipelines.normalize import to_simplified

    with _OPENCC_LOCK:
        return to_simplified(text)


def run_terms(run: str) -> list[str]:
    """One run of letters/digits -> its overlapping bigrams, then its last character.

    "态度恶劣" -> ["态度", "度恶", "恶劣", "劣"]; "app" -> ["ap", "pp", "p"].
    """
    return [*map(add, run, run[1:]), run[-1]]


def index_terms(text: str | None) -> str:
    """Text already normalized by the pipeline -> the space-separated terms FTS5 indexes.

    Only case and width are folded here (the pipeline already made the text
    Simplified), so indexing a million posts stays fast.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(" ".join(run_terms(run)) for run in WORD_RUN.findall(text))


@lru_cache(maxsize=4096)
def normalize_query(query: str | None) -> str:
    """What a reader typed -> the form posts are stored in: 態度 -> 态度, ＡＰＰ -> app."""
    if not query:
        return ""
    return _to_simplified(unicodedata.normalize("NFKC", query)).lower().strip()


def query_runs(query: str | None) -> list[str]:
    """The runs of letters/digits in a normalized query: '上门, 態度 APP' -> ['上门', '态度', 'app']."""
    return WORD_RUN.findall(normalize_query(query))    # cached: cjk_snippet calls it once per row


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def run_expression(run: str) -> str:
    """One query run -> an FTS5 expression over bigram terms.

    '态' -> '"态"*' (prefix); '态度' -> '"态度"'; '爆通讯录' -> '"爆通" + "通讯" + "讯录"'.
    """
    if len(run) == 1:
        return _quote(run) + "*"
    return " + ".join(_quote(a + b) for a, b in zip(run, run[1:]))


def match_expression(query: str | None) -> str:
    """A reader's query -> the FTS5 MATCH expression: every run must occur (AND).

    An empty query, or one with no letters or digits, matches nothing rather than
    raising an FTS5 syntax error.
    """
    runs = query_runs(query)
    if not runs:
        return MATCH_NOTHING
    return " AND ".join(run_expression(run) for run in dict.fromkeys(runs))


def snippet(text: str | None, query: str | None, width: int = 40) -> str:
    """The text around the first hit of the query's first run: '…他们的态度恶劣…'."""
    if not text:
        return ""
    runs = query_runs(query)
    folded = unicodedata.normalize("NFKC", text).lower()
    at = folded.find(runs[0]) if runs else -1
    if at < 0:
        return text[:width * 2] + ("…" if len(text) > width * 2 else "")
    start, end = max(0, at - width), min(len(text), at + len(runs[0]) + width)
    return ("…" if start else "") + text[start:end].replace("\n", " ") + ("…" if end < len(text) else "")


def substring_hits(text: str | None, query: str | None) -> bool:
    """The reference a search must never fall short of: every run of the query is a
    substring of the (case/width-folded) text. Used by the recall test and bench."""
    runs = query_runs(query)
    if not runs or not text:
        return False
    folded = unicodedata.normalize("NFKC", text).lower()
    return all(run in folded for run in runs)


def build_index(conn, rows, progress=None, every: int = 50_000) -> int:
    """(id, title, body) rows -> the FTS5 table (dropped and rebuilt). Returns the count.

    `progress(n)` is called every `every` rows so long builds show they are alive.
    """
    conn.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    conn.execute(FTS_CREATE)
    insert = f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (?, ?, ?)"
    count = 0
    batch = []
    for post_id, title, body in rows:
        batch.append((post_id, index_terms(title), index_terms(body)))
        if len(batch) >= 5000:
            conn.executemany(insert, batch)
            count += len(batch)
            batch = []
            if progress and count % every == 0:
                progress(count)
    if batch:
        conn.executemany(insert, batch)
        count += len(batch)
    conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
    return count


METADATA = Path(__file__).with_name("metadata.yml")


def canned_search_sql(metadata: Path = METADATA) -> str:
    """The SQL of the canned query `search` (db/metadata.yml), for the bench and tests.

    It ranks with bm25 (title weighted 3x body) among the 2,000 most recently
    stored hits, so a query that matches most of the corpus (催收, in a corpus
    about 催收) stays fast; ties go to the newest publication date.
    """
    import yaml

    data = yaml.safe_load(metadata.read_text(encoding="utf-8"))
    return data["databases"]["public"]["queries"]["search"]["sql"]


def register_functions(conn) -> None:
    """SQL functions the search needs: cjk_match(q), cjk_snippet(text, q), to_simplified(text)."""
    conn.create_function("cjk_match", 1, match_expression, deterministic=True)
    conn.create_function("cjk_snippet", 2, snippet, deterministic=True)
    conn.create_function("to_simplified", 1, lambda t: _to_simplified(t) if t else t, deterministic=True)
