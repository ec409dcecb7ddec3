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
        squeezed, index = [], []
        for i, ch in enumerate(text):
            if not JOINERS.match(ch):
                squeezed.append(ch.lower())
                index.append(i)
        hits = []
        for end, (key, name) in self.automaton.iter("".join(squeezed)):
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

@lru_cache(maxsize=1)
def _discovery_regex() -> re.Pattern:
    suffixes = sorted(rules()["discovery_suffixes"], key=len, reverse=True)
    return re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,8}?)(" + "|".join(map(re.escape, suffixes)) + ")")


def _clean_stem(stem: str) -> str:
    breakers = sorted(rules()["stem_breakers"], key=len, reverse=True)
    # cut at the rightmost breaker word: 我在速融 -> 速融
    cut = 0
    for word in breakers:
        pos = stem.rfind(word)
        if pos >= 0 and pos + len(word) > cut and pos + len(word) < len(stem):
            cut = pos + len(word)
    stem = stem[cut:]
    return stem[-4:]


def discover(text: str, need_context: bool) -> list[tuple[str, str]]:
    """Brand-like names absent from the registry: [(name, surface)].

    need_context: only accept a name followed within a few characters by a
    collection word (body text); titles are accepted as they are.
    """
    found = []
    generic = set(rules()["generic_stems"])
    generic_names = tuple(rules()["generic_names"])
    context = rules()["collection_context"]
    for sentence in re.split(r"[。!?！？;；\n,，、]", text):
        for m in _discovery_regex().finditer(sentence):
            stem = _clean_stem(m.group(1))
            name = stem + m.group(2)
            if len(stem) < 2 or stem in generic or name.endswith(generic_names):
                continue
            if need_context and not any(w in sentence[m.end():m.end() + 12] for w in context):
                continue
            found.append((name, name))
    return found


# ---------------------------------------------------------------- subject vs mentioned

@dataclass
class LenderResult:
    lenders: list[LenderMatch] = field(default_factory=list)

    @property
    def subjects(self) -> list[LenderMatch]:
        return [l for l in self.lenders if l.role == "subject"]


def find_lenders(title: str, body: str, chrome: list[str] | None = None,
                 target: str | None = None, registry: Registry | None = None) -> LenderResult:
    """Lenders of one normalized post, each with its role.

    Evidence order for the subject: the platform's complaint target (投诉对象), the
    title, then the body's most frequent lender. A lender named only in chrome
    (navigation, sidebars, 下一篇 links) is at most `mentioned`.
    """
    registry = registry or default_registry()
    found: dict[str, LenderMatch] = {}

    def add(name: str, surface: str, role: str, evidence: str, known: bool):
        lender = registry.lenders.get(name)
        if name in found:
            if role == "subject" and found[name].role != "subject":
                found[name].role, found[name].evidence = "subject", evidence
            return
        found[name] = LenderMatch(name, surface, role, known, lender.company if lender else "",
                                  lender.kind if lender else "", evidence)

    title_hits = registry.find(title)
    body_hits = registry.find(body)

    if target:
        target_hits = registry.find(target)
        if target_hits:
            s, e, name = target_hits[0]
            add(name, target[s:e], "subject", "target", True)
        else:
            name = clean_target(target)
            if name:
                add(name, target, "subject", "target", False)
    for s, e, name in title_hits:
        add(name, title[s:e], "subject", "title", True)
    if not found:
        discovered = discover(title, need_context=False)
        for name, surface in discovered[:1]:
            add(name, surface, "subject", "discovered", False)
    if not found and body_hits:
        counts = Counter(name for _, _, name in body_hits)
        first = {}
        for s, _, name in body_hits:
            first.setdefault(name, s)
        best = max(counts, key=lambda n: (counts[n], -first[n]))
        s, e, _ = next(h for h in body_hits if h[2] == best)
        add(best, body[s:e], "subject", "body", True)
    if not found:
        for name, surface in discover(body, need_context=True)[:1]:
            add(name, surface, "subject", "discovered", False)
    for s, e, name in body_hits:
        add(name, body[s:e], "mentioned", "body", True)
    for line in chrome or []:
        for s, e, name in registry.find(line):
            add(name, line[s:e], "mentioned", "chrome", True)
    return LenderResult(list(found.values()))


TARGET_NOISE = re.compile(r"(有限公司|股份有限公司|有限责任公司|公司|平台|app|APP)$")


def clean_target(target: str) -> str:
    """A platform's 投诉对象 as a lender name: normalized, legal suffixes removed."""
    name = normalize_line(target)
    name = TARGET_NOISE.sub("", name).strip()
    return name
