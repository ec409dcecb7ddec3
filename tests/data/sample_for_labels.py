#!/usr/bin/env python3
"""Pick a seeded, stratified sample of dev complaints for hand labelling of tactics.

This script only SELECTS complaints and PRINTS them for a human to read.  It does not
assign any tactic code: the codes in tactic_labels_dev.jsonl come from reading the text.
The `labels` field of the source file is never printed.

Strata: lender x year (created_at[:4]) x mentions_collection.  The last dimension is only
used so that posts without any collection wording (fee/interest/refund complaints) are
deliberately represented; it says nothing about which tactic codes apply.

Usage:
    python3 tests/data/sample_for_labels.py --ids             # list sampled ids with strata
    python3 tests/data/sample_for_labels.py --batch 0          # print batch 0 (40 complaints) to read
    python3 tests/data/sample_for_labels.py --summary          # counts per stratum
"""
import argparse
import collections
import json
import random
import sys

SRC = "/work/shared/data/complaints_dev.jsonl"
SEED = 20191130
BATCH_SIZE = 40

# (lender, year, mentions_collection) -> number to draw; strata not listed are taken in full
# (the small lenders and 功夫贷 2017 have 1-2 rows each).
ALLOC = {
    ("功夫贷", "2018", True): 70,
    ("功夫贷", "2018", False): 12,
    ("功夫贷", "2019", True): 75,
    ("功夫贷", "2019", False): 35,
    ("钱站", "2019", True): 80,
    ("钱站", "2019", False): 61,
}


def load(path=SRC):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def stratum(row):
    return (row["lender"], row["created_at"][:4], bool(row["mentions_collection"]))


def sample(rows):
    groups = collections.defaultdict(list)
    for r in rows:
        groups[stratum(r)].append(r)
    rng = random.Random(SEED)
    picked = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda r: r["id"])
        n = ALLOC.get(key, len(members))
        picked.extend(rng.sample(members, min(n, len(members))))
    rng.shuffle(picked)  # mix strata so reading order is not grouped
    return picked


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--ids", action="store_true")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--size", type=int, default=BATCH_SIZE)
    args = ap.parse_args(argv)
    picked = sample(load())
    if args.summary:
        c = collections.Counter(stratum(r) for r in picked)
        for k, v in sorted(c.items()):
            print(*k, v, sep="\t")
        print("total", len(picked), sep="\t")
    if args.ids:
        for r in picked:
            print(r["id"], *stratum(r), sep="\t")
    if args.batch is not None:
        start = args.batch * args.size
        for i, r in enumerate(picked[start:start + args.size], start):
            print(f"=== #{i} {r['id']} | target={r['target']} lender={r['lender']} "
                  f"({r['lender_basis']}) | {r['created_at'][:10]}"
                  f"{' | TRUNCATED' if r['content_truncated'] else ''}")
            print("T:", r["title"])
            print("C:", r["content"])
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
