"""Which lenders a post is about: registry matching, discovery, subject vs mentioned.

Matching runs Aho-Corasick over the normalized Simplified text (spaces and joiners
removed, Latin lowercased) with the registry's names, aliases and a list of
not-a-lender phrases; overlapping hits resolve to the longest (有钱花金融 -> 有钱花,
没有钱花 -> nothing). Lenders absent from the registry are discovered from brand
patterns (XX贷, XX金融, XX借款 ...) in the title or next to collection words.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

from pipelines.normalize import normalize_line

DB_DIR = Path(__file__).resolve().parent.parent / "db"
REGISTRY_CSV = DB_DIR / "lenders.csv"
RULES_YML = DB_DIR / "lender_rules.yml"

# characters that may sit inside a brand as written (安 逸 花, 京东·金条)
JOINERS = re.compile(r"[\s·・•\-_]")
NOT_JOINERS = re.compile(r"[^\s·・•\-_]+")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """text without JOINERS, lowercased, and the index in text of each kept character.
    Works run by run (one C call per run, not per character); the same result as
    lowering character by character (a run with Σ, whose lowercase depends on its
    neighbours, is lowered one character at a time)."""
    parts, index = [], []
    for m in NOT_JOINERS.finditer(text):
        run = m.group()
        parts.append(run.lower() if "Σ" not in run else "".join(ch.lower() for ch in run))
        index.extend(range(m.start(), m.end()))
    return "".join(parts), index


@dataclass(frozen=True)
class Lender:
    name: str
    company: str = ""
    kind: str = ""
    aliases: tuple[str, ...] = ()


@dataclass
class LenderMatch:
    name: str
    surface: str
    role: str            # subject | mentioned
    known: bool
    company: str = ""
    kind: str = ""
    evidence: str = ""   # where it was found: target | title | body | chrome | discovered

    def as_dict(self) -> dict:
        return {"name": self.name, "surface": self.surface, "role": self.role, "known": self.known}


def match_key(text: str) -> str:
    return JOINERS.sub("", normalize_line(text)).lower()


class Registry:
    """The lender registry and its Aho-Corasick matcher."""

    def __init__(self, lenders: list[Lender], not_lenders: list[str]):
        self.lenders = {l.name: l for l in lenders}
        self.automaton = ahocorasick.Automaton()
        for lender in lenders:
            for surface in (lender.name, *lender.aliases):
                key = match_key(surface)
                if len(key) >= 2:
                    self.automaton.add_word(key, (key, lender.name))
        for phrase in not_lenders:
            key = match_key(phrase)
            self.automaton.add_word(key, (key, None))
        if len(self.automaton):
            self.automaton.make_automaton()

    @classmethod
    def from_csv(cls, path: Path = REGISTRY_CSV, drop: set[str] | None = None) -> "Registry":
        lenders = []
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if drop and row["canonical"] in drop:
                    continue
                aliases = tuple(a for a in (row.get("aliases") or "").split("|") if a)
                lenders.append(Lender(row["canonical"], row.get("company") or "", row.get("kind") or "", aliases))
        return cls(lenders, rules()["not_lenders"])

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Leftmost-longest lender hits in text: (start, end, canonical name); indices into text."""
        if not text or not len(self.automaton):
            return []
        squeezed, index = _squeeze(text)
        hits = []
        for end, (key, name) in self.automaton.iter(squeezed):
            hits.append((end - len(key) + 1, end, name))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        chosen, last_end = [], -1
        for start, end, name in hits:
            if start > last_end:
                chosen.append((start, end, name))
                last_end = end
            elif chosen and end > chosen[-1][1] and start == chosen[-1][0]:
                chosen[-1] = (start, end, name)
                last_end = end
        return [(index[s], index[e] + 1, name) for s, e, name in chosen if name]


@lru_cache(maxsize=1)
def rules() -> dict:
    return yaml.safe_load(RULES_YML.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    return Registry.from_csv()


# ---------------------------------------------------------------- discovery

@dataclass(frozen=True)
class Candidate:
    """A brand-like name that the registry does not know."""
    name: str
    start: int
    product: bool        # 功夫贷, 月光侠分期 (what borrowers use) vs 大树金融 (a company)
    weak: bool = False   # only its place says it is a name: the body must name it too


@lru_cache(maxsize=1)
def _discovery() -> tuple:
    r = rules()
    suffixes = sorted(r["product_suffixes"] + r["company_suffixes"], key=len, reverse=True)
    regex = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,10}?)(" + "|".join(map(re.escape, suffixes)) + ")")
    breakers = sorted(r["stem_breakers"], key=len, reverse=True)
    alt = lambda words: "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    stem = r"([\u4e00-\u9fffA-Za-z0-9]{2,8}?)"
    by_context = [
        re.compile(f"(?:{alt(r['context_before'])}){stem}(?={alt(r['context_before_next'])})"),
        # only at the start of a title: "钱站暴力催收", "投诉钱站高利贷"
        re.compile(f"^(?:投诉|举报|曝光|关于)?{stem}(?={alt(r['context_after'])})"),
        # a title whose first item is a short name: "钱站,爱钱进,高利贷,阴阳合同"
        re.compile(r"^(?:投诉|举报|曝光)?([\u4e00-\u9fffA-Za-z0-9]{2,4})(?=[,，、])"),
    ]
    return (regex, set(r["product_suffixes"]), breakers, set(map(str, r["generic_stems"])),
            tuple(r["stem_stopwords"]), tuple(r["generic_names"]), int(r["max_stem"]), by_context)


def _clean_stem(stem: str) -> str:
    """我在速融 -> 速融; 杭州大树功夫 -> 功夫 (cut at the last breaker word, keep max_stem)."""
    _, _, breakers, _, _, _, max_stem, _ = _discovery()
    cut = 0
    for word in breakers:
        pos = stem.rfind(word)
        if pos >= 0 and pos + len(word) > cut and pos + len(word) < len(stem):
            cut = pos + len(word)
    stem = stem[cut:]
    if len(stem) > 2 and HAN_RE.search(stem):
        stem = _last_word(stem)
    if HAN_RE.search(stem):
        stem = stem[-max_stem:]
    return stem


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def _last_word(stem: str) -> str:
    """杭州大树功夫 -> 功夫, 月光侠 -> 月光侠: the brand is the last word before the suffix,
    with a one-character last word kept together with the word before it."""
    words = _segmenter().lcut(stem)
    last = words[-1]
    if len(last) == 1 and len(words) > 1:
        last = words[-2] + last
    return last


HAN_RE = re.compile(r"[\u4e00-\u9fff]")
NUMBER_WORD = re.compile(r"[0-9零〇一二两三四五六七八九十百千万亿几多半余第个]+")   # 三万, 两千多
# A stem found only by its context must not be an everyday word (导致, 一天): jieba's
# dictionary gives each word's corpus frequency; brands like 钱站 are not in it.
COMMON_WORD_FREQ = 50
LIST_ITEM_PATTERN = 2      # index in _discovery()'s context patterns: "钱站,爱钱进,高利贷"
# Suffixes that are also plain verbs/nouns of borrowing: their stem must be rare too.
VERB_SUFFIXES = {"借款", "借条", "分期", "花"}


@lru_cache(maxsize=1)
def _word_freq() -> dict[str, int]:
    import jieba

    freq = {}
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            word, count, *_ = line.split()
            if len(word) <= 4:
                freq[word] = int(count)
    return freq


def discover(text: str, title: bool = False) -> list[Candidate]:
    """Brand-like names in text (not checked against the registry): XX贷, XX金融 …, and in
    a title also a stem that starts it before a lender-only word (钱站暴力催收)."""
    regex, product, _, generic, stopwords, generic_names, _, by_context = _discovery()

    def plausible(stem: str, name: str) -> bool:
        return not (len(stem) < 2 or stem in generic or stem.isdigit() or NUMBER_WORD.fullmatch(stem)
                    or any(w in stem for w in stopwords)
                    or name.endswith(generic_names) or not HAN_RE.search(stem))

    found = []
    for m in regex.finditer(text):
        stem = _clean_stem(m.group(1))
        name = stem + m.group(2)
        if m.group(2) in VERB_SUFFIXES and _word_freq().get(stem, 0) >= COMMON_WORD_FREQ:
            continue   # 显示借款, 今天借款: an everyday word before 借款 is not a brand
        if plausible(stem, name):
            found.append(Candidate(name, m.end() - len(name), m.group(2) in product))
    taken = {(c.start, c.name) for c in found}
    for number, pattern in enumerate(by_context if title else by_context[:1]):
        for m in pattern.finditer(text):
            # the title-list pattern (last) takes the whole first item as it is, or nothing
            stem = m.group(1) if number == LIST_ITEM_PATTERN else _clean_stem(m.group(1))
            start = m.end(1) - len(stem)
            if (plausible(stem, stem) and not any(s <= start < s + len(n) for s, n in taken)
                    and _word_freq().get(stem, 0) < COMMON_WORD_FREQ):
                found.append(Candidate(stem, start, True, weak=number == LIST_ITEM_PATTERN))
                taken.add((start, stem))
    return sorted(found, key=lambda c: c.start)


def _best_title_candidate(candidates: list[Candidate]) -> Candidate | None:
    """A title naming a company and its product (大树金融功夫贷) is about the product."""
    products = [c for c in candidates if c.product]
    return (products or candidates or [None])[0]


def _body_claims(body: str, candidates: list[Candidate]) -> Counter:
    """How strongly the body names each discovered brand: a name counts when it recurs or
    stands next to a loan/collection word (在速融贷借了…, 速融贷催收…)."""
    context = rules()["collection_context"]
    counts = Counter(c.name for c in candidates)
    claims = Counter()
    for c in candidates:
        after = body[c.start + len(c.name):c.start + len(c.name) + 12]
        before = body[max(0, c.start - 3):c.start]
        if (counts[c.name] >= 2 or any(w in after for w in context)
                or any(w in before for w in ("在", "从", "向", "借了", "通过", "于"))):
            claims[c.name] = counts[c.name] + (0.5 if c.product else 0)   # 大树金科旗下功夫贷 -> 功夫贷
    return claims


# ---------------------------------------------------------------- subject vs mentioned

@dataclass
class LenderResult:
    lenders: list[LenderMatch] = field(default_factory=list)

    @property
    def subjects(self) -> list[LenderMatch]:
        return [l for l in self.lenders if l.role == "subject"]


def find_lenders(title: str, body: str, chrome: list[str] | None = None,
                 target: str | None = None, registry: Registry | None = None) -> LenderResult:
    """Lenders of one normalized post, each with its role; subjects first, strongest first.

    Subject evidence: the lenders the title names (registry first, else a discovered
    brand), then the platform's complaint target (投诉对象); without either, the lender
    the body names most often (registry or discovered). Other registry lenders of the
    body are `mentioned`; so are lenders of in-article chrome (下一篇:…), never subjects.
    """
    registry = registry or default_registry()
    found: dict[str, LenderMatch] = {}

    def add(name: str, surface: str, role: str, evidence: str, known: bool, kind: str = ""):
        if name in found:
            return
        lender = registry.lenders.get(name)
        found[name] = LenderMatch(name, surface, role, known, lender.company if lender else "",
                                  lender.kind if lender else kind, evidence)

    def unknown(candidates: list[Candidate], hits) -> list[Candidate]:
        """Discovered names that are not registry names and do not overlap one (钱站借款)."""
        return [c for c in candidates if c.name not in registry.lenders
                and not any(c.start < e and s < c.start + len(c.name) for s, e, _ in hits)]

    title_hits = registry.find(title)
    target_lender = None                    # (name, surface, known) of the platform's 投诉对象
    if target:
        target_hits = registry.find(target)
        if target_hits:
            s, e, name = target_hits[0]
            target_lender = (name, target[s:e], True)
        elif clean_target(target):
            target_lender = (clean_target(target), target, False)
    # A title that names the platform's target is about the target, whatever else it names.
    if target_lender and (target_lender[0] in title if not target_lender[2]
                          else any(name == target_lender[0] for _, _, name in title_hits)
                          or clean_target(target) in title):
        add(*target_lender[:2], "subject", "target", target_lender[2])
    # a brand the registry does not know may open a title that also names a known one
    # ("钱站,爱钱进,高利贷"): the title's first lender comes first
    first_known = title_hits[0][0] if title_hits else len(title)
    best = _best_title_candidate([c for c in unknown(discover(title, title=True), title_hits)
                                  if c.start < first_known and (not c.weak or c.name in body)])
    if best:
        add(best.name, best.name, "subject", "title", False)
    for s, e, name in title_hits:
        add(name, title[s:e], "subject", "title", True)
    if target_lender:
        add(*target_lender[:2], "subject", "target", target_lender[2])

    body_hits = registry.find(body)
    if not found:
        counts = Counter(name for _, _, name in body_hits)
        discovered = _body_claims(body, unknown(discover(body), body_hits))
        first = {}
        for s, _, name in body_hits:
            first.setdefault(name, s)
        best = max(counts, key=lambda n: (counts[n], -first[n]), default=None)
        best_new = max(discovered, key=discovered.get, default=None)
        if best_new and (best is None or discovered[best_new] > counts[best]):
            add(best_new, best_new, "subject", "body", False)
        elif best:
            s, e, _ = next(h for h in body_hits if h[2] == best)
            add(best, body[s:e], "subject", "body", True)
    for s, e, name in body_hits:
        add(name, body[s:e], "mentioned", "body", True)
    for surface in find_collectors(title + "\n" + body):
        name = clean_target(surface)
        hits = registry.find(name)
        if hits:
            add(hits[0][2], surface, "subject", "collector", True)
        else:
            add(name, surface, "subject", "collector", False, kind="collection_agency")
    for line in chrome or []:
        for s, e, name in registry.find(line):
            add(name, line[s:e], "mentioned", "chrome", True)
    return LenderResult(list(found.values()))


@lru_cache(maxsize=1)
def _collector_regexes() -> list[re.Pattern]:
    return [re.compile(p) for p in rules().get("collector_patterns") or []]


def find_collectors(text: str) -> list[str]:
    """Agencies named as doing the collecting: 被北极资产管理有限公司暴力催收 -> 北极资产管理有限公司."""
    return [m.group(1) for regex in _collector_regexes() for m in regex.finditer(text)]


TARGET_NOISE = re.compile(r"(股份有限公司|有限责任公司|有限公司|公司|平台|app|APP)$")


def clean_target(target: str) -> str:
    """A platform's 投诉对象 as a lender name: normalized, legal suffixes removed."""
    name = normalize_line(target)
    name = TARGET_NOISE.sub("", name).strip()
    return name
