"""A labelled corpus for near-duplicate and template detection.

    .venv/bin/python -m bench.make_corpus [--out bench/out/corpus.jsonl] [--seed 7]

Source texts are read at run time, never copied into the repository: the content-farm
samples (../shared/samples/*.txt) and the real complaints
(../shared/data/complaints_dev.jsonl). Output: one JSON object per line,
{"item": <spider item>, "label": {...}}, in the order a crawler would meet them.

What it makes from each source text (a "base"):
- the original (platform complaints keep their platform id);
- reposts with edits on other sites: paragraph dropped or reordered, sentence added,
  chrome changed, Traditional script, punctuation and whitespace noise, new title;
- exact copies: the same page under a tracking URL, the same text on another URL;
- template siblings: the same text with the subject lender swapped for another
  registry lender (a content farm's filler), some of them reposted in turn;
- short pages: complaints under dedup.MIN_HAN_CHARS with one shared site footer,
  which must not be matched on that footer.

Labels: `story` (same value = the same story), `template` (same value = one content
farm template, else null), `role` and `edits`. Bases are chosen pairwise distinct
(shingle Jaccard below DISTINCT_BASE_JACCARD): the real complaints include a few
re-filings and shared form letters, and keeping those would make labels ambiguous.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # also runnable as `python bench/make_corpus.py`
    sys.path.insert(0, str(ROOT))

import opencc  # noqa: E402

from pipelines import dedup, lenders, normalize  # noqa: E402
from pipelines.process import process_item  # noqa: E402

SHARED = ROOT.parent / "shared"
SAMPLES_DIR = SHARED / "samples"
COMPLAINTS = SHARED / "data" / "complaints_dev.jsonl"
OUT = ROOT / "bench" / "out" / "corpus.jsonl"

# A base must differ from every other base this much (4-char shingle Jaccard), or its
# labels would be ambiguous: 0.3 is above every pair of unrelated dev complaints
# (max 0.29) and below the re-filings and form letters (0.3 .. 1.0).
DISTINCT_BASE_JACCARD = 0.3
REPOST_SHARE = 0.45             # of bases that get reposted
MAX_REPOSTS = 3                 # reposts per reposted base
MAX_EDITS = 3                   # edits per repost (at least 1)
MAX_DROPPED_SHARE = 0.25        # a dropped paragraph is at most this share of the text
EXACT_COPY_SHARE = 0.05         # of bases that also appear verbatim elsewhere
TEMPLATE_BASES = 40             # complaint bases turned into content-farm templates
SIBLINGS_PER_SAMPLE = 8         # lender swaps of each shared sample article
SIBLINGS_PER_TEMPLATE = 3       # lender swaps of each other template base
SIBLING_REPOST_SHARE = 0.25     # of template siblings that get reposted
ROUNDUP_ARTICLES = 30           # long "complaint roundup" pages made of 4-6 complaints
SHORT_PAGES = 80                # short pages sharing one site footer

# Chrome and additions a repost may gain: written for this bench, not taken from data.
ADDED_SENTENCES = [
    "本文转载自网络，如有侵权请联系删除。",
    "以上是一位网友的真实经历，希望大家引以为戒。",
    "借款人朋友们一定要看清合同条款再借款。",
    "遇到暴力催收可以向当地金融监管部门反映。",
    "欢迎在评论区分享你的遭遇。",
    "原帖发布于投诉平台，现整理转发。",
]
BODY_CHROME = [
    "首页 > 投诉曝光 > 正文",
    "当前位置：网贷之家论坛 / 催收吐槽",
    "点击关注，了解更多网贷资讯",
]
DROPPED_CHROME = ["下一篇：{lender}怎么样", "相关推荐", "责任编辑：小王", "来源：网贷观察网"]
NAV_CHROME = ["{lender}官网入口", "{lender}额度怎么提升", "热门：{lender}逾期怎么办"]
SITE_FOOTERS = [
    "本站内容来源于网友投稿，仅代表作者个人观点，与本站立场无关。",
    "网贷投诉维权平台为您提供帮助，请联系在线客服。",
]
TITLE_SUFFIXES = ["_网贷之家", " - 投诉曝光台", "｜催收观察"]
PUNCT_SWAPS = {"，": [",", "、", " "], "。": [".", "！", "；"], ",": ["，"], "!": ["！"], "：": [":"]}

_s2t = opencc.OpenCC("s2t")


@dataclass
class Base:
    key: str
    title: str
    body: str                       # normalized Simplified body
    lender: str                     # subject lender (canonical name or discovered)
    surfaces: list[str]             # how the lender is written in title/body
    kind: str = "article"
    source_id: str | None = None
    chrome: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading the sources

def _subject_surfaces(title: str, body: str, lender: str, registry) -> list[str]:
    """Every way the subject lender is written in the title and body."""
    found = {lender} if lender in title or lender in body else set()
    for text in (title, body):
        found |= {text[s:e] for s, e, name in registry.find(text) if name == lender}
    return sorted(found, key=len, reverse=True)


def load_samples(directory: Path, registry) -> list[Base]:
    """Content-farm articles: first line the title (Traditional, pinyin annotated)."""
    bases = []
    for path in sorted(directory.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        norm = normalize.normalize_post(lines[0], "\n".join(lines[1:]))
        found = lenders.find_lenders(norm.title, norm.body, registry=registry)
        subject = next(l.name for l in found.lenders if l.role == "subject")
        bases.append(Base(f"sample:{path.stem}", norm.title, norm.body, subject,
                          _subject_surfaces(norm.title, norm.body, subject, registry)))
    return bases


def load_complaints(path: Path, registry) -> list[Base]:
    """Real platform complaints (read at run time, written only to bench/out/)."""
    bases = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            norm = normalize.normalize_post(row["title"], row["content"])
            if not norm.body:
                continue
            lender = row.get("lender") or row.get("target") or ""
            bases.append(Base(f"complaint:{row['id']}", norm.title or lender, norm.body, lender,
                              _subject_surfaces(norm.title, norm.body, lender, registry),
                              kind="complaint", source_id=row["id"].split("-", 1)[-1]))
    return bases


def shingle_set(text: str) -> set[str]:
    s = normalize.comparable(text)
    k = dedup.SHINGLE_SIZE
    return {s[i:i + k] for i in range(max(1, len(s) - k + 1))}


def distinct(bases: list[Base], progress=None) -> tuple[list[Base], int]:
    """Greedy: keep a base unless it is as similar as DISTINCT_BASE_JACCARD to a kept one."""
    kept, sets, dropped = [], [], 0
    for i, base in enumerate(bases):
        s = shingle_set(base.body)
        if any(len(s & t) / len(s | t) >= DISTINCT_BASE_JACCARD for t in sets if s & t):
            dropped += 1
            continue
        kept.append(base)
        sets.append(s)
        if progress and i % 200 == 0:
            progress(f"  distinct bases: {i}/{len(bases)} read, {len(kept)} kept")
    return kept, dropped


def near_matchable(base: Base) -> bool:
    """Whether the pipeline indexes this text for near-duplicates (dedup.MIN_HAN_CHARS,
    counted as the pipeline counts it: lender names masked)."""
    post = process_item({"url": "http://bench.example/", "source": "bench", "title": base.title or "-",
                         "body": base.body})
    return post.fingerprint is not None and post.fingerprint.matchable


# ---------------------------------------------------------------- edits

def split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？!?；;])", text) if s]


def _units(body: str) -> tuple[list[str], str]:
    """Paragraphs when there are at least 3, else sentences of the one paragraph."""
    lines = body.split("\n")
    if len(lines) >= 3:
        return lines, "\n"
    return split_sentences(body.replace("\n", "")), ""


def drop_paragraph(rng, title, body):
    """Drop one paragraph (or sentence) other than the first, of at most
    MAX_DROPPED_SHARE of the text: dropping most of a text leaves another text."""
    units, sep = _units(body)
    total = sum(len(u) for u in units)
    small = [i for i in range(1, len(units)) if len(units[i]) <= MAX_DROPPED_SHARE * total]
    if len(units) < 3 or not small:
        return None
    del units[rng.choice(small)]
    return title, sep.join(units)


def reorder(rng, title, body):
    units, sep = _units(body)
    if len(units) < 3:
        return None
    i = rng.randrange(len(units) - 1)
    units[i], units[i + 1] = units[i + 1], units[i]
    return title, sep.join(units)


def add_sentence(rng, title, body):
    sentence = rng.choice(ADDED_SENTENCES)
    return title, (sentence + "\n" + body) if rng.random() < 0.5 else (body + "\n" + sentence)


def change_chrome(rng, title, body):
    lender = rng.choice(["京东金条", "有钱花", "花呗", "安逸花"])
    top = rng.choice(BODY_CHROME)
    bottom = [c.format(lender=lender) for c in rng.sample(DROPPED_CHROME, 2)]
    return title, "\n".join([top, body, *bottom])


def traditional(rng, title, body):
    return _s2t.convert(title), _s2t.convert(body)


def punctuation_noise(rng, title, body):
    out = []
    for ch in body:
        if ch in PUNCT_SWAPS and rng.random() < 0.5:
            ch = rng.choice(PUNCT_SWAPS[ch])
        elif ch == "\n" and rng.random() < 0.3:
            ch = "\n\n"
        out.append(ch)
        if rng.random() < 0.02:
            out.append(rng.choice([" ", "\u3000", "  "]))
    return title, "".join(out)


def retitle(rng, title, body):
    return (rng.choice(["转载：", "【曝光】", ""]) + title + rng.choice(TITLE_SUFFIXES)), body


# In the order they are applied: structure first, then additions, chrome and noise,
# the script last (the others work on Simplified text).
EDITS = {"drop_paragraph": drop_paragraph, "reorder": reorder, "add_sentence": add_sentence,
         "retitle": retitle, "chrome": change_chrome, "punctuation": punctuation_noise,
         "traditional": traditional}


def apply_edits(rng, title: str, body: str, count: int) -> tuple[str, str, list[str]]:
    """Apply `count` random edits (fewer when some do not apply to this text)."""
    chosen = set(rng.sample(list(EDITS), count))
    done = []
    for name in EDITS:
        if name not in chosen:
            continue
        result = EDITS[name](rng, title, body)
        if result is not None:
            title, body = result
            done.append(name)
    if not done:                        # nothing applied: a repost still differs a little
        title, body = add_sentence(rng, title, body)
        done.append("add_sentence")
    return title, body, sorted(done)


def swap_lender(base: Base, new: str) -> tuple[str, str]:
    title, body = base.title, base.body
    for surface in base.surfaces:
        title, body = title.replace(surface, new), body.replace(surface, new)
    if new not in title:
        title = new + title
    return title, body


# ---------------------------------------------------------------- the corpus

class Corpus:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.records: list[dict] = []
        self.serial = 0

    def url(self, site: str) -> str:
        self.serial += 1
        return f"http://{site}.example/p/{self.serial}.html"

    def add(self, item: dict, story: str, role: str, template: str | None = None, edits=()):
        self.records.append({"item": item, "label": {"story": story, "template": template,
                                                     "role": role, "edits": list(edits)}})

    def original(self, base: Base, story: str, template=None, title=None, body=None) -> dict:
        item = {"url": self.url("tousu" if base.kind == "complaint" else "farm0"),
                "source": "tousu" if base.kind == "complaint" else "farm0",
                "kind": base.kind, "title": title or base.title, "body": body or base.body,
                "chrome": base.chrome}
        if base.kind == "complaint" and template is None:
            item["source_id"] = base.source_id
        else:
            item["kind"] = "article"
        self.add(item, story, "original", template)
        return item

    def repost(self, title: str, body: str, story: str, role: str, template=None):
        n = self.rng.randint(1, MAX_EDITS)
        title, body, edits = apply_edits(self.rng, title, body, n)
        lender = self.rng.choice(["京东金条", "花呗", "微粒贷"])
        chrome = [c.format(lender=lender) for c in self.rng.sample(NAV_CHROME, 2)]
        site = f"farm{self.rng.randint(1, 9)}"
        self.add({"url": self.url(site), "source": site, "kind": "article", "title": title,
                  "body": body, "chrome": chrome}, story, role, template, edits)

    def exact_copy(self, item: dict, story: str):
        if self.rng.random() < 0.5:       # the same page again, reached through a tracking URL
            copy = {**item, "url": item["url"] + "?from=timeline&utm_source=share"}
            edits = ["tracking_url"]
        else:                             # the same text on another site
            copy = {k: v for k, v in item.items() if k != "source_id"}
            copy.update(url=self.url("mirror"), source="mirror", kind="article")
            edits = ["same_text"]
        self.add(copy, story, "exact_copy", None, edits)


def roundups(rng, pool: list[Base], count: int) -> tuple[list[Base], list[Base]]:
    """Long pages made of 4-6 complaints each; the complaints used are taken out of the pool."""
    made = []
    for i in range(count):
        if len(pool) < 6:
            break
        parts = [pool.pop() for _ in range(rng.randint(4, 6))]
        lender = parts[0].lender
        body = "\n".join([f"网友投诉汇总第{i + 1}期", *(p.body for p in parts)])
        made.append(Base(f"roundup:{i}", f"{lender}等平台投诉汇总", body, lender,
                         [s for s in parts[0].surfaces]))
    return made, pool


def build(seed: int = 7, samples_dir: Path = SAMPLES_DIR, complaints: Path | None = COMPLAINTS,
          max_bases: int | None = None, progress=print) -> list[dict]:
    """The labelled corpus as a list of {"item", "label"} records."""
    rng = random.Random(seed)
    registry = lenders.default_registry()
    samples = load_samples(samples_dir, registry)
    progress(f"samples: {len(samples)} articles from {samples_dir}")
    complaint_bases = load_complaints(complaints, registry) if complaints else []
    rng.shuffle(complaint_bases)
    if max_bases:
        complaint_bases = complaint_bases[:max_bases]
    matchable = [near_matchable(b) for b in complaint_bases]
    short = [b for b, m in zip(complaint_bases, matchable) if not m]
    long_ = [b for b, m in zip(complaint_bases, matchable) if m]
    long_, dropped = distinct(long_, progress)
    progress(f"complaints: {len(complaint_bases)} read, {len(short)} short, {len(long_)} distinct long "
             f"({dropped} dropped as re-filings/form letters of another)")
    articles, long_ = roundups(rng, long_, ROUNDUP_ARTICLES if max_bases is None else ROUNDUP_ARTICLES // 5)
    registry_names = [n for n in registry.lenders if len(n) >= 3]

    corpus = Corpus(rng)
    template_pool = [b for b in long_ if b.surfaces and any(s in b.body for s in b.surfaces)]
    template_bases = set(id(b) for b in rng.sample(template_pool, min(TEMPLATE_BASES, len(template_pool))))
    plain = [b for b in long_ if id(b) not in template_bases] + articles
    templated = samples + [b for b in long_ if id(b) in template_bases]

    pending = []    # (title, body, story, role, template): reposts published later on
    for n, base in enumerate(plain):
        story = f"s:{base.key}"
        item = corpus.original(base, story)
        if rng.random() < EXACT_COPY_SHARE:
            corpus.exact_copy(item, story)
        if rng.random() < REPOST_SHARE:
            for _ in range(rng.randint(1, MAX_REPOSTS)):
                pending.append((base.title, base.body, story, "repost", None))
    for base in templated:
        template = f"t:{base.key}"
        siblings = SIBLINGS_PER_SAMPLE if base.key.startswith("sample:") else SIBLINGS_PER_TEMPLATE
        names = [base.lender] + rng.sample([n for n in registry_names if n != base.lender], siblings)
        for name in names:
            story = f"s:{base.key}:{name}"
            title, body = swap_lender(base, name) if name != base.lender else (base.title, base.body)
            corpus.original(base, story, template, title, body)
            if rng.random() < SIBLING_REPOST_SHARE:
                pending.append((title, body, story, "template_repost", template))
    rng.shuffle(pending)
    for title, body, story, role, template in pending:
        corpus.repost(title, body, story, role, template)
    for i, base in enumerate(short[:SHORT_PAGES]):
        footer = SITE_FOOTERS[i % len(SITE_FOOTERS)]
        corpus.add({"url": corpus.url("shortsite"), "source": "shortsite", "kind": "article",
                    "title": base.title, "body": base.body + "\n" + footer, "chrome": []},
                   f"s:short:{base.key}", "short")
    progress(f"corpus: {len(corpus.records)} posts")
    return corpus.records


def write(records: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    parser.add_argument("--complaints", type=Path, default=COMPLAINTS)
    parser.add_argument("--max-bases", type=int, help="use only this many complaints (quick runs)")
    args = parser.parse_args(argv)
    for path in (args.samples, args.complaints):
        if not path.exists():
            print(f"error: {path}: no such file or directory", file=sys.stderr)
            return 2
    records = build(args.seed, args.samples, args.complaints, args.max_bases)
    write(records, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
