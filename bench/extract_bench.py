"""Throughput of the text stages (normalize + redact + lenders + tactics) on one core.

    .venv/bin/python bench/extract_bench.py [--jsonl FILE] [--posts 20000]

Reads complaints from the evaluation JSONL at run time (never copied into the repo)
plus the shared samples, cycles through them until --posts posts were processed,
and prints posts/s after a warm-up (registry and dictionaries loaded). Target: >= 1,000
posts/s on one core.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.process import process_item  # noqa: E402

SHARED = ROOT.parent / "shared"


def load_posts(jsonl: Path) -> list[dict]:
    posts = []
    if jsonl.exists():
        for line in jsonl.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            posts.append({"title": row.get("title") or "无标题", "body": row.get("content") or "无正文"})
    for sample in sorted((SHARED / "samples").glob("*.txt")):
        lines = sample.read_text(encoding="utf-8").splitlines()
        posts.append({"title": lines[0], "body": "\n".join(lines[1:])})
    if not posts:
        raise SystemExit("no input posts found")
    return posts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jsonl", type=Path, default=SHARED / "data" / "complaints_dev.jsonl")
    parser.add_argument("--posts", type=int, default=20000)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})   # one core
    posts = load_posts(args.jsonl)
    items = [{"url": f"http://bench.local/{i}", "source": "bench", **p} for i, p in enumerate(posts)]
    for item in items[:50]:          # warm-up: registry, automata, OpenCC, word list
        process_item(item)
    chars = 0
    started = time.perf_counter()
    for n in range(args.posts):
        post = process_item(items[n % len(items)])
        chars += len(post.body)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"posts": args.posts, "seconds": round(seconds, 2),
                      "posts_per_s": round(args.posts / seconds, 1),
                      "avg_chars": round(chars / args.posts), "peak_rss_mb": round(rss_mb, 1),
                      "cores": 1}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
