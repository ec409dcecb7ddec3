"""Personal data -> masked, before anything is stored in a table that gets published.

Patterns are anchored on digit boundaries so amounts and dates are left alone.
The same patterns drive the publish-time audit (`find_pii`), so what we mask and
what we refuse to publish can never drift apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Order matters: longer/more specific patterns first (an ID number contains a
# phone-like run; an e-mail contains a QQ number).
PII_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("id_card", re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")),
    ("bank_card", re.compile(r"(?<!\d)(?:[3-6]\d{3}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?:[ -]?\d{1,3})?)(?!\d)")),
    ("phone", re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    ("landline", re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
    ("qq", re.compile(r"(?i)(?:qq|扣扣|企鹅)\s*(?:号|号码|群)?\s*[:：]?\s*([1-9]\d{4,11})(?!\d)")),
]

MASK = "*"


@dataclass(frozen=True)
class PiiHit:
    kind: str
    text: str


def _mask_digits(value: str, keep_head: int, keep_tail: int) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(digits[keep_head:len(digits) - keep_tail] if keep_tail else digits[keep_head:])
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(value))


def _mask(kind: str, value: str) -> str:
    if kind == "email":
        user, _, domain = value.partition("@")
        return user[:1] + MASK * 3 + "@" + domain
    if kind == "qq":
        return re.sub(r"\d{5,12}", lambda m: m.group(0)[:2] + MASK * (len(m.group(0)) - 2), value)
    if kind in ("phone", "landline"):
        return _mask_digits(value, 3, 4) if kind == "phone" else _mask_digits(value, 4, 2)
    return _mask_digits(value, 4, 4)   # id_card, bank_card: keep region/bank prefix and last 4


def redact(text: str | None) -> str | None:
    """Mask phones, ID numbers, bank cards, QQ numbers and e-mail addresses.

    13812345678 -> 138****5678; 110101199003071234 -> 1101**********1234.
    """
    if not text:
        return text
    for kind, pattern in PII_PATTERNS:
        text = pattern.sub(lambda m, k=kind: _mask(k, m.group(0)), text)
    return text


def find_pii(text: str | None) -> list[PiiHit]:
    """Every unmasked personal-data pattern in the text (for the publish audit)."""
    if not text:
        return []
    return [PiiHit(kind, m.group(0)) for kind, pattern in PII_PATTERNS for m in pattern.finditer(text)]
