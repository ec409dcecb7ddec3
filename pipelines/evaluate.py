"""Measure lender and tactic extraction on labelled complaints.

    python -m pipelines.evaluate JSONL [--labels FILE] [--drop-registry 0.2]
                                 [--seed 7] [--json OUT] [--predictions OUT]

JSONL rows have the fields of ../shared/data/complaints_dev.jsonl (id, url, title,
content, target, lender). Every figure is computed twice: with the complaint's
`target` given to the lender stage (as for platform complaints) and without it
(content only, as for articles). The subject prediction of a post is its primary
subject: the first lender with role `subject`.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from pipelines import lenders as lenders_mod
from pipelines.process import process_item
from pipelines.validate import InvalidItem


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"error: {path}:{number}: not JSON: {exc.msg}")
    return rows


def to_item(row: dict, with_target: bool) -> dict:
    item = {"url": row.get("url") or f"http://eval.local/{row.get('id')}", "source": row.get("source") or "eval",
            "kind": "complaint", "title": row.get("title") or "", "body": row.get("content") or "",
            "source_id": str(row.get("id"))}
    if not item["title"]:
        item["title"] = item["body"][:30] or "无标题"
    if with_target and row.get("target"):
        item["complaint_target"] = row["target"]
    return item


def predict(rows: list[dict], with_target: bool, registry) -> tuple[list[dict], float]:
    """Run the real pipeline over rows; returns predictions and seconds spent."""
    out = []
    started = time.perf_counter()
    for row in rows:
        try:
            post = process_item(to_item(row, with_target), registry=registry)
            lenders = [{"name": l.name, "role": l.role, "known": l.known} for l in post.lenders]
            tactics = [t.as_dict() for t in post.tactics]
        except InvalidItem as exc:
            lenders, tactics = [], []
            print(f"warning: {row.get('id')}: {exc}", file=sys.stderr)
        subject = next((l["name"] for l in lenders if l["role"] == "subject"), None)
        out.append({"id": row.get("id"), "subject": subject, "lenders": lenders, "tactics": tactics})
    return out, time.perf_counter() - started


def names_own_lender(row: dict, registry) -> bool:
    """Does the complaint's own text name its labelled lender (name or registry alias)?
    Content-only extraction can only find lenders that the text names."""
    from pipelines.normalize import normalize_line

    label = row.get("lender")
    if not label:
        return False
    text = normalize_line((row.get("title") or "") + " " + (row.get("content") or ""))
    lender = registry.lenders.get(label)
    forms = {label, *(normalize_line(a) for a in (lender.aliases if lender else ()))}
    return any(form and form in text for form in forms)


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def subject_scores(rows: list[dict], preds: list[dict], only: set[str] | None = None) -> dict:
    """Precision/recall of the primary subject against `lender`, overall and per lender."""
    per = defaultdict(Counter)
    confusions = Counter()
    tp = predicted = gold = 0
    for row, pred in zip(rows, preds):
        label, guess = row.get("lender") or None, pred["subject"]
        if only is not None and label not in only:
            continue
        if label:
            gold += 1
            per[label]["gold"] += 1
        if guess:
            predicted += 1
            per[guess]["predicted"] += 1
        if label and guess == label:
            tp += 1
            per[label]["tp"] += 1
        elif label:
            confusions[(label, guess or "(none)")] += 1
    return {
        "precision": ratio(tp, predicted), "recall": ratio(tp, gold), "posts": gold,
        "per_lender": {name: {"precision": ratio(c["tp"], c["predicted"]), "recall": ratio(c["tp"], c["gold"]),
                              "gold": c["gold"], "predicted": c["predicted"]}
                       for name, c in sorted(per.items(), key=lambda kv: -kv[1]["gold"])},
        "confusions": [{"lender": a, "predicted": b, "count": n} for (a, b), n in confusions.most_common(10)],
    }


def tactic_scores(labels: dict[str, set[str]], preds: list[dict]) -> dict:
    per = defaultdict(Counter)
    for pred in preds:
        if pred["id"] not in labels:
            continue
        gold = labels[pred["id"]]
        got = {t["code"] for t in pred["tactics"]}
        for code in gold | got:
            key = "tp" if code in gold and code in got else ("fp" if code in got else "fn")
            per[code][key] += 1
    tp = sum(c["tp"] for c in per.values())
    fp = sum(c["fp"] for c in per.values())
    fn = sum(c["fn"] for c in per.values())
    p, r = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "posts": sum(1 for pred in preds if pred["id"] in labels),
        "micro_precision": p, "micro_recall": r,
        "micro_f1": round(2 * p * r / (p + r), 4) if p and r else 0.0,
        "per_code": {code: {"precision": ratio(c["tp"], c["tp"] + c["fp"]), "recall": ratio(c["tp"], c["tp"] + c["fn"]),
                            "tp": c["tp"], "fp": c["fp"], "fn": c["fn"]} for code, c in sorted(per.items())},
    }


def load_labels(path: Path) -> dict[str, set[str]]:
    return {row["id"]: set(row["codes"]) for row in load_jsonl(path)}


def dropped_lenders(registry_csv: Path, share: float, seed: int, labelled: set[str]) -> set[str]:
    """`share` of the registry's lenders, drawn (seeded) separately from the lenders the
    evaluation set is about and from the rest, rounding the first share up so that a
    small evaluation set still loses at least one of its own lenders."""
    import math

    names = sorted(lenders_mod.Registry.from_csv(registry_csv).lenders)
    rng = random.Random(seed)
    ours = [n for n in names if n in labelled]
    rest = [n for n in names if n not in labelled]
    picked = rng.sample(ours, min(len(ours), math.ceil(share * len(ours)))) if ours else []
    return set(picked) | set(rng.sample(rest, round(share * len(rest))))


def print_subject(title: str, scores: dict) -> None:
    print(f"\n{title}: precision {scores['precision']}  recall {scores['recall']}  ({scores['posts']} labelled)")
    for name, s in list(scores["per_lender"].items())[:15]:
        print(f"  {name:<12} P {s['precision']}  R {s['recall']}  gold {s['gold']}  predicted {s['predicted']}")
    if scores["confusions"]:
        print("  most confused (label -> predicted):",
              "; ".join(f"{c['lender']}->{c['predicted']} x{c['count']}" for c in scores["confusions"][:6]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--labels", type=Path, help="tactic labels: JSONL of {id, codes}")
    parser.add_argument("--drop-registry", type=float, default=0.0, metavar="F",
                        help="remove this share of the registry's lenders (seeded) and measure discovery")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, dest="json_out", help="write a machine-readable report")
    parser.add_argument("--predictions", type=Path, help="write one JSON line per complaint")
    args = parser.parse_args(argv)
    if not args.jsonl.exists():
        print(f"error: {args.jsonl}: no such file", file=sys.stderr)
        return 2
    rows = load_jsonl(args.jsonl)
    print(f"evaluating {len(rows)} complaints from {args.jsonl}", flush=True)
    registry = lenders_mod.default_registry()
    report: dict = {"posts": len(rows)}

    preds_target, secs_t = predict(rows, True, registry)
    preds_content, secs_c = predict(rows, False, registry)
    report["subject"] = subject_scores(rows, preds_target)
    report["subject_content_only"] = subject_scores(rows, preds_content)
    report["seconds"] = round(secs_t + secs_c, 3)
    report["posts_per_s"] = round(2 * len(rows) / (secs_t + secs_c), 1)
    answerable = {r.get("id") for r in rows if names_own_lender(r, registry)}
    report["subject_content_only_answerable"] = subject_scores(
        [r for r in rows if r.get("id") in answerable], [p for p in preds_content if p["id"] in answerable])
    print_subject("subject lender, target given", report["subject"])
    print_subject("subject lender, content only", report["subject_content_only"])
    a = report["subject_content_only_answerable"]
    print(f"  of which {a['posts']} complaints name their lender in title or content: "
          f"precision {a['precision']}  recall {a['recall']}")

    if args.labels:
        labels = load_labels(args.labels)
        report["tactics"] = tactic_scores(labels, preds_target)
        t = report["tactics"]
        print(f"\ntactics on {t['posts']} labelled posts: micro P {t['micro_precision']} R {t['micro_recall']} "
              f"F1 {t['micro_f1']}")
        for code, s in t["per_code"].items():
            print(f"  {code} P {s['precision']} R {s['recall']}  tp {s['tp']} fp {s['fp']} fn {s['fn']}")

    if args.drop_registry:
        from pipelines.lenders import REGISTRY_CSV, Registry

        dropped = dropped_lenders(REGISTRY_CSV, args.drop_registry, args.seed,
                                  {r.get("lender") for r in rows if r.get("lender")})
        reduced = Registry.from_csv(REGISTRY_CSV, drop=dropped)
        affected = [r for r in rows if r.get("lender") in dropped]
        report["dropped"] = {"lenders": sorted(dropped), "posts": len(affected)}
        for mode, with_target in (("target", True), ("content_only", False)):
            preds, _ = predict(affected, with_target, reduced)
            scores = subject_scores(affected, preds)
            report["dropped"][f"subject_recall_{mode}"] = scores["recall"]
            if with_target:
                report["dropped"]["subject_recall"] = scores["recall"]
        print(f"\nregistry with {len(dropped)} of its lenders removed (seed {args.seed}): "
              f"{len(affected)} complaints about them; subject recall with target "
              f"{report['dropped']['subject_recall_target']}, content only {report['dropped']['subject_recall_content_only']}")

    print(f"\n{len(rows) * 2} posts processed in {report['seconds']} s: {report['posts_per_s']} posts/s "
          f"(normalize + redact + lenders + tactics)")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8") as fh:
            for pred in preds_target:
                fh.write(json.dumps({"id": pred["id"], "lenders": [{"name": l["name"], "role": l["role"]} for l in pred["lenders"]],
                                     "tactics": pred["tactics"]}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
