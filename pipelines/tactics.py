"""Collection tactics (T01-T15 of db/tactics.csv) found in a post, each with the
sentence that is the evidence.

Triggers are the phrases of db/tactics.csv plus the word-pair rules of
db/tactic_rules.yml ("天天…打电话", "骚扰…家人"). A trigger does not count when a
negation or hearsay word stands shortly before it in the same clause ("没有爆通讯录",
"听说会上门"); an action announced as a threat ("威胁上门") counts as the threat
(T06), not the action. T15 暴力催收 is the catch-all, kept only when no specific
tactic applies. Body sentences are preferred as evidence; the title is used when the
body has none.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

DB_DIR = Path(__file__).resolve().parent.parent / "db"
TACTICS_CSV = DB_DIR / "tactics.csv"
RULES_YML = DB_DIR / "tactic_rules.yml"

SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
CLAUSE_BREAK = re.compile(r"[，,：:、]")
CLAUSE_CHARS = r"[^，,。！？!?；;：:\n]"
BLOCKER_WINDOW = 8   # "已报备榆阳区公安局": the writer's own action stands right before


@dataclass(frozen=True)
class TacticHit:
    code: str
    evidence: str
    trigger: str

    def as_dict(self) -> dict:
        return {"code": self.code, "evidence": self.evidence}


@lru_cache(maxsize=1)
def rules() -> dict:
    return yaml.safe_load(RULES_YML.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_tactics() -> list[dict]:
    with open(TACTICS_CSV, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def _automaton():
    auto = ahocorasick.Automaton()
    for row in load_tactics():
        for phrase in row["keywords"].split("|"):
            phrase = phrase.strip().lower()
            if phrase:
                existing = auto.get(phrase, None)
                codes = (existing[1] if existing else ()) + (row["code"],)
                auto.add_word(phrase, (phrase, codes))
    auto.make_automaton()
    return auto


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True) if w)


@lru_cache(maxsize=1)
def _proximity() -> list[tuple[str, re.Pattern]]:
    """Each word-pair rule as one regex: A…B or B…A within the window, in one clause."""
    compiled = []
    for rule in rules().get("proximity") or []:
        a, b = _alternation(rule["a"]), _alternation(rule["b"])
        gap = f"{CLAUSE_CHARS}{{0,{int(rule['window'])}}}?"
        pattern = f"(?:{a})" if not b else f"(?:{a}){gap}(?:{b})|(?:{b}){gap}(?:{a})"
        compiled.append((rule["code"], re.compile(pattern)))
    return compiled


@lru_cache(maxsize=1)
def _markers() -> tuple:
    r = rules()
    intent = r.get("intent") or {}
    return (tuple(r["negations"] + r["hearsay"]), r["window"], set(intent.get("codes", [])),
            tuple(intent.get("markers", [])), intent.get("window", 0), r.get("blockers") or {})


def _has_context(code: str, trigger: str, sentence: str, start: int) -> bool:
    """True unless a needs_context rule applies to this trigger and finds no word nearby."""
    for rule in rules().get("needs_context") or []:
        if code in rule.get("codes", ()) or trigger in rule.get("triggers", ()):
            w = rule["window"]
            around = sentence[max(0, start - w):start + len(trigger) + w]
            if not any(word in around for word in rule["words"]):
                return False
    return True


def sentences(text: str) -> list[str]:
    """Split normalized text into sentences (the unit of evidence)."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def _clause_before(sentence: str, start: int) -> str:
    clause_start = 0
    for m in CLAUSE_BREAK.finditer(sentence, 0, start):
        clause_start = m.end()
    return sentence[clause_start:start]


@lru_cache(maxsize=1)
def _affirming() -> re.Pattern | None:
    words = rules().get("not_negations") or []
    return re.compile(_alternation(words)) if words else None


def _without_affirming(text: str) -> str:
    """未经同意 -> ····同意: words that only look like negations, blanked in place (so
    character windows keep their length)."""
    pattern = _affirming()
    return pattern.sub(lambda m: "·" * len(m.group(0)), text) if pattern else text


def _counts(code: str, before: str) -> bool:
    """False when the words before the trigger negate it, report it as hearsay, make it
    a threat of an action, or make it the writer's own action."""
    negators, window, intent_codes, intent_markers, intent_window, blockers = _markers()
    before = _without_affirming(before)
    if any(m in before[-window:] for m in negators):
        return False
    if code in intent_codes and any(m in before[-intent_window:] for m in intent_markers):
        return False
    return not any(m in before[-BLOCKER_WINDOW:] for m in blockers.get(code, ()))


def _hits_in(sentence: str):
    """(code, trigger) pairs that count in one sentence."""
    lowered = sentence.lower()
    negators = _markers()[0]
    for end, (phrase, codes) in _automaton().iter(lowered):
        start = end - len(phrase) + 1
        before = _clause_before(lowered, start)
        for code in codes:
            if _counts(code, before) and _has_context(code, phrase, lowered, start):
                yield code, phrase
    for code, pattern in _proximity():
        for m in pattern.finditer(lowered):
            inside = m.group(0)
            if any(n in _without_affirming(inside) for n in negators):   # "一直没有来电"
                continue
            if _counts(code, _clause_before(lowered, m.start())):
                yield code, inside
                break


def find_tactics(title: str, body: str) -> list[TacticHit]:
    """Tactic codes of one normalized post, each with its first evidence sentence."""
    found: dict[str, TacticHit] = {}
    for sentence in sentences(body or "") + ([title.strip()] if title and title.strip() else []):
        for code, trigger in _hits_in(sentence):
            found.setdefault(code, TacticHit(code, sentence, trigger))
    catch_all = rules()["catch_all"]
    if catch_all in found and len(found) > 1:
        del found[catch_all]
    return sorted(found.values(), key=lambda h: h.code)
