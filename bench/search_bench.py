"""Search benchmark: query time of the public DB's Chinese search at 100k and 1M posts.

    .venv/bin/python bench/search_bench.py                 # 100k and 1M (1M: a few minutes)
    .venv/bin/python bench/search_bench.py --sizes 100000  # quick

For each size it writes a synthetic corpus (bench/synthetic_corpus.py), builds the
same FTS5 bigram index db.publish builds (db/search.py), then times each query of
QUERIES with the canned `search` SQL of db/metadata.yml (ranked, 100 rows), with a
bare count of all hits, and end to end as a JSON request to Datasette (the
project's metadata and plugins, in process), and checks recall against a
substring scan of every body. Prints a table; not run by the tests.
"""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic_corpus import write_corpus  # noqa: E402
from db import search  # noqa: E402

# 1 character, common and rare; 2 characters, very common to rare; Traditional;
# longer phrases; Latin; two words; nothing.
QUERIES = ["款", "催", "催收", "逾期", "态度", "態度", "上门", "爆通讯录", "冒充公检法", "暴力催收",
           "APP", "上门 态度", "極融借款", "无此词语"]


def build(db_path: Path, posts: int) -> None:
    print(f"== {posts:,} posts: {db_path}", flush=True)
    seconds = write_corpus(str(db_path), posts, progress=lambda m: print(m, flush=True))
    print(f"  corpus written in {seconds:.1f}s", flush=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    started = time.monotonic()
    rows = conn.cursor().execute("SELECT id, title, body FROM posts ORDER BY id")
    search.build_index(conn, rows, progress=lambda n: print(
        f"  index: {n:,} posts ({time.monotonic() - started:.0f}s)", flush=True), every=100000)
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    size_mb = db_path.stat().st_size / 1e6
    print(f"  FTS5 bigram index built in {time.monotonic() - started:.1f}s; file {size_mb:,.0f} MB", flush=True)


def time_ms(conn, sql, params, repeat) -> tuple[float, float, list]:
    times, rows = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), rows


def substring_ids(conn, query) -> set[int]:
    return {pid for pid, title, body in conn.execute("SELECT id, title, body FROM posts")
            if search.substring_hits(f"{title}\n{body}", query)}


def datasette_ms(db_path: Path, repeat: int) -> dict[str, float]:
    """Median time of GET /public/search.json?q=... through Datasette's own client."""
    import yaml
    from datasette.app import Datasette

    from db import serve

    async def measure():
        ds = Datasette([str(db_path)], metadata=yaml.safe_load(serve.METADATA.read_text(encoding="utf-8")),
                       plugins_dir=str(serve.PLUGINS), template_dir=str(serve.TEMPLATES),
                       settings={"sql_time_limit_ms": 10000})
        await ds.invoke_startup()
        times = {}
        for q in QUERIES:
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await ds.client.get("/public/search.json", params={"q": q, "_shape": "array"})
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text[:300]
            times[q] = statistics.median(samples)
        return times

    return asyncio.run(measure())


def run_queries(db_path: Path, repeat: int, check_recall: bool) -> None:
    conn = sqlite3.connect(db_path)
    search.register_functions(conn)
    count_sql = f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH cjk_match(:q)"
    ids_sql = f"SELECT rowid FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH cjk_match(:q)"
    search_sql = search.canned_search_sql()
    conn.execute("SELECT count(*) FROM posts").fetchone()           # warm the page cache
    conn.execute(count_sql, {"q": "催收"}).fetchone()
    through_datasette = datasette_ms(db_path, repeat)
    header = f"  {'query':<12}{'hits':>10}{'search ms (median/max)':>26}{'count ms':>12}{'datasette ms':>14}"
    print(header + ("   recall" if check_recall else ""), flush=True)
    for q in QUERIES:
        med, worst, rows = time_ms(conn, search_sql, {"q": q}, repeat)
        cmed, _, counted = time_ms(conn, count_sql, {"q": q}, max(1, repeat // 2))
        hits = counted[0][0]
        line = (f"  {q:<12}{hits:>10,}{med:>15.1f} / {worst:<8.1f}{cmed:>12.1f}"
                f"{through_datasette[q]:>14.1f}")
        if check_recall:
            expected = substring_ids(conn, q)
            found = {r[0] for r in conn.execute(ids_sql, {"q": q})}
            missed = len(expected - found)
            line += f"   {len(expected & found)}/{len(expected)}" + (f" MISSED {missed}" if missed else "")
        print(line, flush=True)
    conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/cuishou-search-bench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse a corpus built by an earlier run")
    parser.add_argument("--no-recall", action="store_true", help="skip the substring recall check")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        db_path = args.dir / str(size) / "public.db"    # named public: metadata.yml is keyed by it
        db_path.parent.mkdir(exist_ok=True)
        if not (args.reuse and db_path.exists()):
            db_path.unlink(missing_ok=True)
            build(db_path, size)
        run_queries(db_path, args.repeat, check_recall=not args.no_recall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
