"""Collection tactics (T01-T15 of db/tactics.csv) found in a post, each with the
sentence that is the evidence.

A trigger phrase counts unless a negation or hearsay word stands shortly before it
in the same clause ("没有爆通讯录", "听说会上门"). T15 暴力催收 is the catch-all:
kept only when no specific tactic applies.
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


def sentences(text: str) -> list[str]:
    """Split normalized text into sentences (the unit of evidence)."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def _qualified(sentence: str, start: int) -> bool:
    """False when the trigger at `start` is negated or hearsay."""
    clause_start = 0
    for m in CLAUSE_BREAK.finditer(sentence, 0, start):
        clause_start = m.end()
    before = sentence[max(clause_start, start - rules()["window"]):start]
    markers = rules()["negations"] + rules()["hearsay"]
    return not any(marker in before for marker in markers)


def find_tactics(title: str, body: str) -> list[TacticHit]:
    """Tactic codes of one normalized post, each with its first evidence sentence."""
    auto = _automaton()
    found: dict[str, TacticHit] = {}
    for sentence in ([title] if title else []) + sentences(body or ""):
        lowered = sentence.lower()
        for end, (phrase, codes) in auto.iter(lowered):
            start = end - len(phrase) + 1
            if not _qualified(lowered, start):
                continue
            for code in codes:
                found.setdefault(code, TacticHit(code, sentence.strip(), phrase))
    catch_all = rules()["catch_all"]
    if catch_all in found and len(found) > 1:
        del found[catch_all]
    return sorted(found.values(), key=lambda h: h.code)
