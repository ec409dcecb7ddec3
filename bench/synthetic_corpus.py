"""A synthetic corpus of Chinese complaint-like posts for the search benchmark.

Nothing here is real text: words are random Han strings drawn with a Zipf law (so
common bigrams have long posting lists, as in real Chinese), mixed with the
collection vocabulary journalists search for (催收, 态度, 上门, 爆通讯录, APP …) at
fixed rates, so a query's number of hits is known in advance. Deterministic for a
given seed.

    .venv/bin/python bench/synthetic_corpus.py --posts 100000 --out /tmp/corpus.db
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from itertools import accumulate

# (phrase, share of posts that contain it): the queries the bench runs.
DOMAIN = [
    ("催收", 0.60), ("逾期", 0.40), ("借款", 0.35), ("电话", 0.30), ("态度", 0.05),
    ("上门", 0.05), ("爆通讯录", 0.03), ("冒充公检法", 0.01), ("APP", 0.02),
    ("暴力催收", 0.08), ("威胁", 0.10), ("家人", 0.12), ("恶劣", 0.04),
]
LENDERS = ["安逸花", "极融借款", "有钱花", "拍拍贷", "分期乐", "微粒贷", "借呗", "金狐贷", "360借条", "厚本金融"]
SOURCES = ["demo", "heimao", "jutousu", "farm-a", "farm-b"]


def make_vocabulary(rng: random.Random, words: int = 20000, chars: int = 3500) -> list[str]:
    """Random 1-3 character 'words' over a fixed set of common-range Han characters."""
    alphabet = [chr(c) for c in rng.sample(range(0x4E00, 0x9FA5), chars)]
    char_weights = list(accumulate(1 / (i + 1) for i in range(chars)))
    vocab = set()
    while len(vocab) < words:
        n = rng.choice((1, 2, 2, 2, 3))
        vocab.add("".join(rng.choices(alphabet, cum_weights=char_weights, k=n)))
    return sorted(vocab)


class CorpusMaker:
    def __init__(self, seed: int = 7, mean_chars: int = 220):
        self.rng = random.Random(seed)
        self.vocab = make_vocabulary(self.rng)
        self.cum = list(accumulate(1 / (i + 1) ** 1.05 for i in range(len(self.vocab))))
        self.mean_words = max(10, mean_chars // 2)

    def post(self, post_id: int) -> tuple:
        rng = self.rng
        words = rng.choices(self.vocab, cum_weights=self.cum, k=rng.randint(self.mean_words // 2,
                                                                             self.mean_words * 3 // 2))
        lender = rng.choice(LENDERS)
        for phrase, share in DOMAIN:
            if rng.random() < share:
                words.insert(rng.randrange(len(words) + 1), phrase)
        words.insert(rng.randrange(len(words) + 1), lender)
        parts, i = [], 0
        while i < len(words):
            step = rng.randint(3, 9)
            parts.append("".join(words[i:i + step]))
            i += step
        body = "，".join(parts) + "。"
        title = f"{lender}{rng.choice(['催收', '暴力催收', '投诉', '逾期', '借款'])}{rng.choice(self.vocab)}"
        day = rng.randrange(0, 8 * 365)
        published = f"{2018 + day // 365:04d}-{day % 365 // 31 + 1:02d}-{day % 31 % 28 + 1:02d}"
        return (post_id, f"http://synthetic.local/p/{post_id}", rng.choice(SOURCES), title, published,
                body, lender, None)


def write_corpus(path: str, posts: int, seed: int = 7, progress=print) -> float:
    """Write `posts` synthetic posts into a fresh SQLite file; returns seconds taken."""
    started = time.monotonic()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("DROP TABLE IF EXISTS posts")
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, url TEXT, source TEXT, title TEXT, "
                 "published_at TEXT, body TEXT, subject_lenders TEXT, tactic_codes TEXT)")
    maker = CorpusMaker(seed)
    batch = []
    for post_id in range(1, posts + 1):
        batch.append(maker.post(post_id))
        if len(batch) == 10000:
            conn.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?)", batch)
            batch = []
            if post_id % 100000 == 0:
                progress(f"  corpus: {post_id:,} posts ({time.monotonic() - started:.0f}s)")
    if batch:
        conn.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?)", batch)
    conn.commit()
    conn.close()
    return time.monotonic() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    seconds = write_corpus(args.out, args.posts, args.seed)
    print(f"{args.posts:,} posts -> {args.out} in {seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
