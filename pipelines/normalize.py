"""Text normalization: the one place that turns page bytes and raw text into the
normalized Simplified text every later stage works on.

Stages, in order: bytes -> str (declared or detected encoding), inline pinyin
annotations removed, Traditional -> Simplified (OpenCC), NFKC, whitespace, and
boilerplate lines split off as "chrome". The rules are data: text_rules.yml.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

RULES_FILE = Path(__file__).with_name("text_rules.yml")

# Declared names that browsers treat as a larger superset: decoding with the
# superset never loses characters the page really contains.
ENCODING_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs",
    "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252", "latin-1": "cp1252",
}

HAN = re.compile(r"[\u3400-\u9fff]")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we know."""


@dataclass(frozen=True)
class Rule:
    kind: str
    name: str
    regex: re.Pattern
    replacement: str
    example: dict
    why: str


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(
        Rule(r["kind"], r["name"], re.compile(r["pattern"], re.MULTILINE), r.get("replacement", ""),
             r.get("example", {}), r.get("why", ""))
        for r in data["rules"]
    )


@lru_cache(maxsize=None)
def _rules(kind: str) -> tuple[Rule, ...]:
    return tuple(r for r in load_rules() if r.kind == kind)


# ---------------------------------------------------------------- bytes -> text

def _canonical_encoding(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return ENCODING_SUPERSETS.get(name, name)


def _gb2312_share(text: str) -> float:
    """Share of Han characters that GB2312 can encode. Real GBK pages are almost all
    GB2312; Big5 bytes read as GBK land in the GBK extension area instead."""
    han = HAN.findall(text)
    if not han:
        return 0.0
    ok = 0
    for ch in han:
        try:
            ch.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(han)


def _decodes(data: bytes, encoding: str) -> bool:
    """True if the bytes are valid in the encoding, allowing a character cut off at the
    very end (a truncated download)."""
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3
    except LookupError:
        return False


def detect_cjk_encoding(data: bytes) -> str:
    """Pick UTF-8, GB18030 or Big5 for undeclared bytes (e.g. a Big5 page with no meta)."""
    if _decodes(data, "utf-8"):
        return "utf-8"
    candidates = {}
    for enc in ("gb18030", "big5hkscs"):
        if _decodes(data, enc):
            candidates[enc] = data.decode(enc, errors="replace")
    if "gb18030" in candidates and _gb2312_share(candidates["gb18030"]) >= 0.9:
        return "gb18030"
    if "big5hkscs" in candidates:
        return "big5hkscs"
    if candidates:
        return next(iter(candidates))
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DecodeError("bytes are not text in any known encoding")
    return best.encoding


def decode_bytes(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Bytes of a page -> (text, encoding). Order: BOM, HTTP header, <meta>, detection.

    A declaration that the bytes contradict (undecodable) is ignored rather than
    trusted, so a GBK page that claims UTF-8 is still read correctly.
    """
    if not data:
        raise DecodeError("empty document")
    bom_encoding, bom = read_bom(data)
    if bom_encoding:
        return data[len(bom):].decode(bom_encoding, errors="replace"), bom_encoding
    declared = [http_content_type_encoding(content_type) if content_type else None,
                html_body_declared_encoding(data)]
    for name in declared:
        enc = _canonical_encoding(name)
        if enc and _decodes(data, enc):
            return data.decode(enc, errors="replace"), enc
    enc = detect_cjk_encoding(data)
    return data.decode(enc, errors="replace"), enc


# ---------------------------------------------------------------- text -> normalized text

def strip_pinyin(text: str) -> str:
    """態(tài)度 -> 態度: content farms annotate characters with pinyin."""
    for rule in _rules("inline"):
        text = rule.regex.sub(rule.replacement, text)
    return text


@lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC (態度 -> 态度, 眾/衆 -> 众)."""
    return _opencc().convert(text) if text else text


SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def normalize_line(line: str) -> str:
    """One line: pinyin removed, Simplified, NFKC, runs of spaces collapsed (a single
    space is kept: it is often where a censored word was deleted)."""
    line = strip_pinyin(line)
    line = unicodedata.normalize("NFKC", line)
    line = to_simplified(line)
    return SPACES.sub(" ", line).strip()


def normalize_text(text: str) -> str:
    """Normalize every line and drop empty ones (no boilerplate removal)."""
    if not text:
        return ""
    return "\n".join(filter(None, (normalize_line(l) for l in text.splitlines())))


def boilerplate_rule(line: str) -> Rule | None:
    """The drop_line rule a normalized line matches, if any."""
    for rule in _rules("drop_line"):
        if rule.regex.search(line):
            return rule
    return None


@dataclass
class NormalizedPost:
    title: str
    body: str
    chrome: list[str] = field(default_factory=list)   # boilerplate/navigation lines removed


def normalize_post(title: str | None, body: str | None) -> NormalizedPost:
    """Title and body -> Simplified, clean text, with boilerplate lines set aside."""
    norm_title = normalize_line(title or "")
    kept, chrome = [], []
    for raw in (body or "").splitlines():
        line = normalize_line(raw)
        if not line:
            continue
        (chrome if boilerplate_rule(line) else kept).append(line)
    # content farms repeat the title as the first body line
    if len(kept) > 1 and norm_title and kept[0] == norm_title:
        kept.pop(0)
    return NormalizedPost(norm_title, "\n".join(kept), chrome)


NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)


def comparable(text: str) -> str:
    """Text reduced to what identifies it: no whitespace or punctuation, lowercase."""
    return NOT_CONTENT.sub("", text).lower()


def content_hash(body: str) -> str:
    """sha256 of the comparable body: equal for copies that differ only in spacing/punctuation."""
    return hashlib.sha256(comparable(body).encode("utf-8")).hexdigest()
