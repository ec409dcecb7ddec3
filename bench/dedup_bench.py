"""Measure duplicate detection: quality on the labelled corpus, cost at scale.

    .venv/bin/python -m bench.dedup_bench quality           # P/R on bench/make_corpus output
    .venv/bin/python -m bench.dedup_bench scale --posts 100000
    .venv/bin/python -m bench.dedup_bench scale --posts 1000000
    .venv/bin/python -m bench.dedup_bench all                # the three above, as in RESULTS.md

quality: builds the corpus (bench/make_corpus.py), runs every item through the real
pipeline (process_item, then Store.save_batch in batches like the Scrapy pipeline) into
a temporary database, and scores the stories and template flags against the labels.

scale: streams synthetic posts (character-bigram text trained at run time on the
samples and dev complaints, with registry lenders and tactic phrases, plus reposts,
template siblings and re-crawls) through the same two calls into a fresh database,
and reports posts/s per window, peak RSS and database size. Posts are generated
outside the timed section.

Results go to bench/out/*.json (gitignored); the numbers are summarized by hand in
bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # also runnable as `python bench/dedup_bench.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import make_corpus  # noqa: E402
from pipelines import dedup, lenders, normalize  # noqa: E402
from pipelines.process import process_item  # noqa: E402
from pipelines.store import Store  # noqa: E402
from pipelines.validate import InvalidItem  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
BATCH_SIZE = 50                 # what scraper/pipelines.py uses (CUISHOU_BATCH_SIZE)

# Targets of issue 5.
TARGET_NEAR_DUP_PRECISION = 0.98
TARGET_NEAR_DUP_RECALL = 0.95
TARGET_TEMPLATE_PRECISION = 0.95
TARGET_POSTS_PER_S = 1000
TARGET_PEAK_RSS_MB = 500
TARGET_MAX_SLOWDOWN = 0.25      # the 1M run's posts/s within 25% of the 100k run's


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ================================================================ quality

def store_corpus(records: list[dict], db_path: Path, progress=print) -> tuple[Store, Counter]:
    store = Store(db_path)
    outcomes, batch = Counter(), []
    for i, record in enumerate(records, 1):
        try:
            batch.append(process_item(dict(record["item"])))
        except InvalidItem as exc:
            outcomes[f"invalid:{exc.stage}"] += 1
        if len(batch) >= BATCH_SIZE or i == len(records):
            outcomes.update(store.save_batch(batch))
            batch = []
        if i % 500 == 0:
            progress(f"  stored {i}/{len(records)}")
    return store, outcomes


def row_of_items(store: Store, records: list[dict]) -> list[int | None]:
    return [(store.conn.execute("SELECT post_id FROM post_urls WHERE url = ?", (r["item"]["url"],)).fetchone()
             or (None,))[0] for r in records]


def pair_scores(groups_pred: dict, groups_true: dict, keys: list) -> dict:
    """Pairwise precision/recall: a pair is predicted when both keys share a predicted
    group, true when they share a true group."""
    def pairs(groups):
        by = defaultdict(list)
        for k in keys:
            if groups.get(k) is not None:
                by[groups[k]].append(k)
        return {frozenset(p) for members in by.values() for p in itertools.combinations(members, 2)}
    pred, true = pairs(groups_pred), pairs(groups_true)
    tp = len(pred & true)
    return {"pairs_predicted": len(pred), "pairs_true": len(true), "pairs_correct": tp,
            "precision": tp / len(pred) if pred else 1.0, "recall": tp / len(true) if true else 1.0,
            "false_pairs": sorted(tuple(sorted(p)) for p in pred - true)[:20],
            "missed_pairs": sorted(tuple(sorted(p)) for p in true - pred)[:200]}


def similarity_margins(store: Store, rows: list[int], label_of: dict) -> dict:
    """Exact masked-shingle Jaccard of every true pair and the highest of any other pair:
    how far the labelled corpus sits from NEAR_DUP_SIMILARITY on either side."""
    sets = {}
    for row in rows:
        cand = store._candidate(row)
        sets[row] = set(cand.shingles.tolist())
    true_j, false_j = [], []
    for a, b in itertools.combinations(rows, 2):
        sa, sb = sets[a], sets[b]
        inter = len(sa & sb)
        j = inter / (len(sa) + len(sb) - inter) if inter else 0.0
        if label_of[a]["story"] == label_of[b]["story"]:
            true_j.append(j)
        elif j > 0.2:
            same_template = label_of[a]["template"] and label_of[a]["template"] == label_of[b]["template"]
            if not same_template:
                false_j.append(j)
    true_j = np.array(true_j)
    return {"true_pairs": len(true_j),
            "true_pair_jaccard_p1_p5_p50": [round(float(np.percentile(true_j, q)), 3) for q in (1, 5, 50)]
            if len(true_j) else [],
            "true_pairs_below_threshold": int((true_j < dedup.NEAR_DUP_SIMILARITY).sum()),
            "unrelated_pairs_above_0.2": len(false_j),
            "unrelated_max_jaccard": round(max(false_j), 3) if false_j else 0.0}


def quality(seed: int = 7, max_bases: int | None = None, progress=print, margins: bool = True) -> dict:
    """Near-duplicate and template precision/recall on a freshly generated corpus."""
    records = make_corpus.build(seed=seed, max_bases=max_bases, progress=progress)
    tmp = Path(tempfile.mkdtemp(prefix="dedup-quality-"))
    try:
        started = time.perf_counter()
        store, outcomes = store_corpus(records, tmp / "quality.db", progress)
        elapsed = time.perf_counter() - started
        row_ids = row_of_items(store, records)
        info = {r[0]: r[1:] for r in store.conn.execute(
            "SELECT id, story_id, duplicate_of, is_template, template_id FROM posts")}
        # one label per stored row: the label of the first item stored in it
        label_of, merged_wrongly = {}, 0
        for record, row in zip(records, row_ids):
            if row is None:
                continue
            if row in label_of:
                merged_wrongly += label_of[row]["story"] != record["label"]["story"]
            else:
                label_of[row] = record["label"]
        rows = sorted(label_of)
        exact = [(r["label"]["story"], row) for r, row in zip(records, row_ids) if r["label"]["role"] == "exact_copy"]
        exact_ok = sum(1 for story, row in exact if label_of.get(row, {}).get("story") == story)

        near = pair_scores({r: info[r][0] for r in rows}, {r: label_of[r]["story"] for r in rows}, rows)
        flagged = [r for r in rows if info[r][2]]
        truly = [r for r in rows if label_of[r]["template"]]
        template = {
            "flagged": len(flagged), "true_members": len(truly),
            "precision": sum(1 for r in flagged if label_of[r]["template"]) / len(flagged) if flagged else 1.0,
            "recall": sum(1 for r in truly if info[r][2]) / len(truly) if truly else 1.0,
            "family_pairs": pair_scores({r: info[r][3] for r in flagged},
                                        {r: label_of[r]["template"] for r in flagged}, flagged),
            "template_members_linked_as_duplicates_of_another_lender": sum(
                1 for r in rows if info[r][1] and label_of[r]["template"]
                and label_of[info[r][1]]["story"] != label_of[r]["story"]),
        }
        for key in ("false_pairs", "missed_pairs"):
            template["family_pairs"].pop(key)
        # recall by edit: a repost row is found when it sits in its original's story
        root_of_story = {}
        for r in rows:
            root_of_story.setdefault(label_of[r]["story"], r)
        by_edit = defaultdict(lambda: [0, 0])
        for r in rows:
            lab = label_of[r]
            if lab["role"] in ("repost", "template_repost"):
                found = info[r][0] == info[root_of_story[lab["story"]]][0]
                for edit in lab["edits"] or ["none"]:
                    by_edit[edit][0] += found
                    by_edit[edit][1] += 1
        short_rows = [r for r in rows if label_of[r]["role"] == "short"]
        short_linked = sum(1 for r in short_rows if info[r][0] != r
                           or any(info[o][0] == r for o in rows if o != r))
        result = {
            "corpus": {"posts": len(records), "stored_rows": len(rows),
                       "roles": Counter(r["label"]["role"] for r in records),
                       "seed": seed, "max_bases": max_bases},
            "outcomes": dict(outcomes),
            "seconds": round(elapsed, 2),
            "near_duplicates": {k: v for k, v in near.items() if k not in ("missed_pairs",)},
            "missed_examples": [[label_of[a]["role"], label_of[a]["edits"], label_of[b]["role"], label_of[b]["edits"]]
                                for a, b in near["missed_pairs"][:20]],
            "exact_copies": {"total": len(exact), "same_row_as_original": exact_ok,
                             "rows_holding_two_stories": merged_wrongly},
            "recall_by_edit": {e: {"found": f, "of": n, "recall": round(f / n, 3)} for e, (f, n) in sorted(by_edit.items())},
            "templates": template,
            "short_pages": {"pages": len(short_rows), "linked_to_another_post": short_linked,
                            "min_han_chars": dedup.MIN_HAN_CHARS, "min_shared_shingles": dedup.MIN_SHARED_SHINGLES},
            "parameters": {"shingle": dedup.SHINGLE_SIZE, "num_perm": dedup.NUM_PERM, "bands": dedup.BANDS,
                           "rows_per_band": dedup.ROWS_PER_BAND, "threshold": dedup.NEAR_DUP_SIMILARITY},
        }
        if margins:
            result["similarity_margins"] = similarity_margins(store, rows, label_of)
        store.close()
        if margins and make_corpus.COMPLAINTS.exists():
            result["real_complaints"] = real_complaints(progress=progress)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def real_complaints(path: Path = make_corpus.COMPLAINTS, progress=print) -> dict:
    """The dev complaints stored as the platforms serve them (one platform id each):
    which ones the pipeline links as copies of an earlier one, or flags as templates.
    No labels here: a reading aid for the thresholds on real text (re-filings by one
    borrower should link; form letters with other amounts should not)."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    tmp = Path(tempfile.mkdtemp(prefix="dedup-real-"))
    try:
        records = [{"item": {"url": r["url"], "source": r["source"], "kind": "complaint",
                             "source_id": r["id"], "title": r["title"] or r["target"], "body": r["content"],
                             "complaint_target": r["target"]}} for r in rows if r["content"]]
        store, outcomes = store_corpus(records, tmp / "real.db", progress)
        linked = store.conn.execute("SELECT id, duplicate_of FROM posts WHERE duplicate_of IS NOT NULL").fetchall()
        similarities = []
        for post_id, root in linked:
            a, b = store._candidate(post_id), store._candidate(root)
            similarities.append(round(dedup.overlap(a.shingles, b.shingles)[1], 3))
        flagged = store.conn.execute("SELECT count(*) FROM posts WHERE is_template = 1").fetchone()[0]
        indexed = store.conn.execute("SELECT count(*) FROM post_signatures").fetchone()[0]
        store.close()
        return {"complaints": len(records), "near_matchable": indexed, "outcomes": dict(outcomes),
                "linked_as_copies": len(linked), "linked_similarities": sorted(similarities),
                "flagged_template": flagged}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_quality(r: dict) -> None:
    nd, tp = r["near_duplicates"], r["templates"]
    ok = lambda flag: "ok" if flag else "BELOW TARGET"  # noqa: E731
    print(f"corpus: {r['corpus']['posts']} posts -> {r['corpus']['stored_rows']} rows; outcomes {r['outcomes']}")
    print(f"near-duplicates: precision {nd['precision']:.4f} ({ok(nd['precision'] >= TARGET_NEAR_DUP_PRECISION)}), "
          f"recall {nd['recall']:.4f} ({ok(nd['recall'] >= TARGET_NEAR_DUP_RECALL)}) "
          f"over {nd['pairs_true']} true pairs, {nd['pairs_predicted']} predicted")
    print(f"templates: precision {tp['precision']:.4f} ({ok(tp['precision'] >= TARGET_TEMPLATE_PRECISION)}), "
          f"recall {tp['recall']:.4f}; {tp['flagged']} flagged of {tp['true_members']} members; "
          f"family-pair precision {tp['family_pairs']['precision']:.4f}")
    print(f"exact copies: {r['exact_copies']}")
    print(f"short pages: {r['short_pages']}")
    print("recall by edit: " + ", ".join(f"{e} {v['found']}/{v['of']}" for e, v in r["recall_by_edit"].items()))
    if "similarity_margins" in r:
        print(f"similarity margins: {r['similarity_margins']}")
    if "real_complaints" in r:
        print(f"real dev complaints stored once each: {r['real_complaints']}")


# ================================================================ scale

class SyntheticText:
    """Character-bigram text, vectorized: `chains` parallel Markov chains advance one
    character per numpy step. Trained at run time on the samples and dev complaints,
    so the character and bigram statistics are real while no text is copied."""

    def __init__(self, texts: list[str], rng: np.random.Generator):
        self.rng = rng
        chars = sorted({c for t in texts for c in t})
        index = {c: i for i, c in enumerate(chars)}
        counts = Counter()
        for t in texts:
            ids = [index[c] for c in t]
            counts.update(zip(ids, ids[1:]))
        self.chars = np.array([ord(c) for c in chars], dtype=np.uint32)
        pairs = sorted(counts.items())
        src = np.array([p[0][0] for p in pairs])
        self.next_char = np.array([p[0][1] for p in pairs])
        weight = np.array([p[1] for p in pairs], dtype=np.float64)
        totals = np.bincount(src, weights=weight, minlength=len(chars))
        within = np.zeros(len(pairs))
        for s in np.unique(src):          # cumulative share within each row
            m = src == s
            within[m] = np.cumsum(weight[m]) / totals[s]
        within = np.minimum(within, 1.0 - 1e-12)
        self.keys = src + within          # row index + share: globally increasing
        self.has_next = np.isin(np.arange(len(chars)), src)
        self.starts = np.flatnonzero(self.has_next)

    def block(self, chains: int, length: int) -> list[str]:
        """`chains` strings of `length` characters each."""
        state = self.rng.choice(self.starts, size=chains)
        out = np.empty((chains, length), dtype=np.uint32)
        for t in range(length):
            out[:, t] = self.chars[state]
            pos = np.searchsorted(self.keys, state + self.rng.random(chains))
            pos = np.minimum(pos, len(self.next_char) - 1)
            state = self.next_char[pos]
            dead = ~self.has_next[state]
            if dead.any():
                state[dead] = self.rng.choice(self.starts, size=int(dead.sum()))
        return [row.tobytes().decode("utf-32-le") for row in out]


TITLE_PATTERNS = ["{l}暴力催收", "{l}催收太过分了", "投诉{l}爆通讯录", "{l}逾期后天天被骚扰", "曝光{l}的催收手段"]
REPOST_SHARE = 0.10             # shares of the synthetic stream, roughly what a day of crawling brings
TEMPLATE_SHARE = 0.03
RECRAWL_SHARE = 0.05
ARTICLE_SHARE = 0.15            # long content-site pages; the rest are complaint-length


class SyntheticStream:
    """Synthetic items for the scale run, generated in blocks outside the timed part."""

    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        samples = [p.read_text(encoding="utf-8") for p in sorted(make_corpus.SAMPLES_DIR.glob("*.txt"))]
        texts = [normalize.normalize_text(t) for t in samples]
        lengths = [60, 120, 200]
        if make_corpus.COMPLAINTS.exists():
            rows = [json.loads(l) for l in open(make_corpus.COMPLAINTS, encoding="utf-8")]
            texts += [normalize.normalize_text(r["content"]) for r in rows]
            lengths = [len(r["content"]) for r in rows if r["content"]]
        self.lengths = lengths
        self.text = SyntheticText(texts, np.random.default_rng(seed))
        registry = lenders.default_registry()
        names = list(registry.lenders)
        weights = [1 / (i + 1) for i in range(len(names))]      # Zipf: a few lenders dominate
        self.lenders = (names, weights)
        self.triggers = [p for row in __import__("pipelines.tactics", fromlist=["x"]).load_tactics()
                         for p in row["keywords"].split("|") if p]
        self.recent: list[dict] = []
        self.serial = 0

    def _lender(self) -> str:
        return self.rng.choices(*self.lenders)[0]

    def _body(self, chunk: str, lender: str) -> str:
        """A chunk of synthetic text with the lender and 1-3 tactic phrases woven in."""
        pieces = list(chunk)
        for _ in range(self.rng.randint(1, 3)):
            pieces.insert(self.rng.randrange(len(pieces) + 1), lender)
        for _ in range(self.rng.randint(1, 3)):
            pieces.insert(self.rng.randrange(len(pieces) + 1), self.rng.choice(self.triggers))
        return "".join(pieces)

    def _new(self, chunk: str) -> dict:
        self.serial += 1
        lender = self._lender()
        title = self.rng.choice(TITLE_PATTERNS).format(l=lender)
        if self.rng.random() < 0.5:     # platform complaint
            return {"url": f"https://tousu.example/c/{self.serial}/", "source": "tousu", "kind": "complaint",
                    "source_id": str(self.serial), "title": title, "body": self._body(chunk, lender),
                    "complaint_target": lender, "complaint_status": "处理中", "_lender": lender}
        return {"url": f"http://site{self.serial % 50}.example/a/{self.serial}.html", "source": f"site{self.serial % 50}",
                "kind": "article", "title": title, "body": self._body(chunk, lender), "_lender": lender}

    def _variant(self, kind: str) -> dict | None:
        if not self.recent:
            return None
        base = self.rng.choice(self.recent)
        self.serial += 1
        if kind == "recrawl":
            item = dict(base)
            if item["kind"] == "complaint":
                item["complaint_status"] = self.rng.choice(["处理中", "已回复", "已完成"])
            return item
        url = f"http://farm{self.serial % 20}.example/p/{self.serial}.html"
        if kind == "repost":
            title, body, _ = make_corpus.apply_edits(self.rng, base["title"], base["body"], self.rng.randint(1, 2))
            return {"url": url, "source": "farm", "kind": "article", "title": title, "body": body}
        other = self._lender()
        return {"url": url, "source": "farm", "kind": "article", "title": base["title"].replace(base["_lender"], other),
                "body": base["body"].replace(base["_lender"], other)}

    def items(self, count: int, block: int = 2000):
        """Yield lists of items, `block` at a time, until `count` items were made."""
        made = 0
        while made < count:
            n = min(block, count - made)
            n_articles = sum(self.rng.random() < ARTICLE_SHARE for _ in range(n))
            short = self.text.block(n - n_articles, max(20, min(700, max(self.lengths))))
            long_ = self.text.block(n_articles, 2500) if n_articles else []
            out = []
            for i in range(n):
                roll = self.rng.random()
                kind = ("repost" if roll < REPOST_SHARE else "template" if roll < REPOST_SHARE + TEMPLATE_SHARE
                        else "recrawl" if roll < REPOST_SHARE + TEMPLATE_SHARE + RECRAWL_SHARE else "new")
                item = self._variant(kind) if kind != "new" else None
                if item is None:
                    if long_ and (not short or i % max(1, n // max(1, n_articles)) == 0):
                        text = long_.pop()[: self.rng.randint(800, 2500)]
                        lines = [text[j:j + self.rng.randint(80, 200)] for j in range(0, len(text), 160)]
                        item = self._new("\n".join(lines))
                    else:
                        item = self._new(short.pop()[: max(20, min(700, self.rng.choice(self.lengths)))])
                    self.recent.append(item)
                    if len(self.recent) > 5000:
                        self.recent.pop(self.rng.randrange(len(self.recent)))
                out.append(item)
            made += n
            yield out


def scale(posts: int, db_dir: Path | None = None, window: int = 100_000, progress=print, seed: int = 11) -> dict:
    """Stream `posts` synthetic posts through process_item + Store.save_batch."""
    tmp = Path(tempfile.mkdtemp(prefix="dedup-scale-", dir=db_dir))
    db_path = tmp / "scale.db"
    try:
        stream = SyntheticStream(seed)
        store = Store(db_path)
        outcomes, timed, done = Counter(), 0.0, 0
        windows, win_time, win_done = [], 0.0, 0
        wall = time.perf_counter()
        report_every = max(window // 10, 1000)
        for block in stream.items(posts, block=min(2000, window)):
            items = [{k: v for k, v in it.items() if not k.startswith("_")} for it in block]
            t0 = time.perf_counter()
            for i in range(0, len(items), BATCH_SIZE):
                batch = []
                for item in items[i:i + BATCH_SIZE]:
                    try:
                        batch.append(process_item(item))
                    except InvalidItem as exc:
                        outcomes[f"invalid:{exc.stage}"] += 1
                outcomes.update(store.save_batch(batch))
            dt = time.perf_counter() - t0
            timed += dt
            win_time += dt
            done += len(items)
            win_done += len(items)
            if win_done >= window or done == posts:
                windows.append({"posts_stored_before": done - win_done, "posts": win_done,
                                "posts_per_s": round(win_done / win_time, 1)})
                win_time, win_done = 0.0, 0
            if done % report_every < len(items):
                progress(f"  {done:>9,} posts  {done / timed:8.1f} posts/s (pipeline)  "
                         f"rss peak {peak_rss_mb():6.1f} MB  outcomes {dict(outcomes)}")
        store.close()
        size = sum(f.stat().st_size for f in tmp.iterdir())
        conn = sqlite3.connect(str(db_path))
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("posts", "lsh_buckets", "post_signatures", "template_members")}
        plan = [r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT post_id FROM lsh_buckets WHERE key IN (1,2,3) GROUP BY post_id")]
        conn.close()
        return {"posts": posts, "seconds_pipeline": round(timed, 1), "seconds_wall": round(time.perf_counter() - wall, 1),
                "posts_per_s": round(posts / timed, 1), "windows": windows, "peak_rss_mb": round(peak_rss_mb(), 1),
                "db_bytes": size, "rows": counts, "outcomes": dict(outcomes), "lsh_query_plan": plan,
                "batch_size": BATCH_SIZE, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_scale(r: dict) -> None:
    print(f"{r['posts']:,} posts: {r['posts_per_s']:.1f} posts/s through process_item + save_batch "
          f"(target >= {TARGET_POSTS_PER_S}), peak RSS {r['peak_rss_mb']:.1f} MB (target < {TARGET_PEAK_RSS_MB}), "
          f"db {r['db_bytes'] / 1e6:.0f} MB, rows {r['rows']}")
    print("  windows: " + ", ".join(f"{w['posts_stored_before']:,}+: {w['posts_per_s']:.0f}/s" for w in r["windows"]))


def scale_in_subprocess(posts: int, out: Path) -> dict:
    """One size per fresh process, so each peak RSS is that run's own."""
    cmd = [sys.executable, "-m", "bench.dedup_bench", "scale", "--posts", str(posts), "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads(out.read_text())


def write_json(result: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=list))
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality", help="precision/recall on the labelled corpus")
    q.add_argument("--seed", type=int, default=7)
    q.add_argument("--max-bases", type=int)
    q.add_argument("--out", type=Path, default=OUT_DIR / "dedup_quality.json")
    s = sub.add_parser("scale", help="throughput and memory of the whole pipeline")
    s.add_argument("--posts", type=int, default=100_000)
    s.add_argument("--window", type=int, default=100_000)
    s.add_argument("--db-dir", type=Path, help="where the temporary database goes (default: system temp)")
    s.add_argument("--out", type=Path)
    a = sub.add_parser("all", help="quality, then scale at 100k and 1M, each size in its own process")
    a.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args(argv)

    if not make_corpus.SAMPLES_DIR.exists():
        print(f"error: {make_corpus.SAMPLES_DIR}: no such directory (the shared samples)", file=sys.stderr)
        return 2
    if args.command == "quality":
        result = quality(args.seed, args.max_bases)
        print_quality(result)
        write_json(result, args.out)
    elif args.command == "scale":
        result = scale(args.posts, args.db_dir, min(args.window, args.posts))
        print_scale(result)
        write_json(result, args.out or OUT_DIR / f"dedup_scale_{args.posts}.json")
    else:
        result = quality()
        print_quality(result)
        write_json(result, OUT_DIR / "dedup_quality.json")
        runs = [scale_in_subprocess(int(n), OUT_DIR / f"dedup_scale_{int(n)}.json") for n in args.sizes.split(",")]
        for run in runs:
            print_scale(run)
        if len(runs) >= 2:
            small, big = runs[0], runs[-1]
            change = big["posts_per_s"] / small["posts_per_s"] - 1
            print(f"cost per post: {big['posts']:,} run at {change:+.1%} posts/s vs the {small['posts']:,} run "
                  f"({'ok' if change >= -TARGET_MAX_SLOWDOWN else 'SLOWER THAN TARGET'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
