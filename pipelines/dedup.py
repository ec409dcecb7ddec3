"""Duplicates: exact keys, near-duplicate fingerprints and content-farm templates.

Everything here is pure; pipelines/store.py does the lookups, since only it reads
and writes SQLite.

- Exact: one post per platform id, canonical URL (`canonical_url`) or body hash
  (`content_hash`, re-exported from normalize).
- Near: MinHash (datasketch's affine32 permutations) over the character shingles of
  the normalized Simplified body with the post's lender names masked, cut into LSH
  bands. Each band value becomes one 64-bit key; the store keeps the keys in the
  `lsh_buckets` table, so a later process finds earlier posts with one indexed
  query. Candidates are checked with the exact Jaccard similarity of the shingles.
- Templates: because lender names are masked, a content farm's copies of one text
  with the lender swapped look alike; `classify` tells them apart from reposts by
  what stands where each text names its subject lender (the same name: a copy of
  the story; another name: a template sibling, not a duplicate).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash

from pipelines.normalize import comparable
from pipelines.normalize import content_hash  # noqa: F401  (re-exported: the body key)

# Query parameters that say where a visitor came from, not what the page is.
TRACKING_PARAMS = {"from", "ref", "referer", "spm", "share", "share_from", "sld",
                   "fr", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                   "utm_content", "_", "timestamp"}

# ---------------------------------------------------------------- parameters, each with its why
# Shingle = 4 characters of the comparable text (no spaces/punctuation). In Chinese a
# 4-gram is about one or two words: two unrelated complaints about the same lender
# share almost none (on the 1,060 dev complaints the mean Jaccard of unrelated pairs
# is 0.002 at k=4 against 0.007 at k=3), while one edit only disturbs k shingles.
SHINGLE_SIZE = 4
# 64 permutations in 16 bands of 4 rows: a pair at Jaccard s becomes a candidate with
# probability 1-(1-s^4)^16, i.e. 0.64 at 0.5, 0.89 at 0.6, 0.99 at 0.7, 0.002 at 0.1.
# 95% of the bench corpus's true pairs have s >= 0.61 (bench/RESULTS.md), the rest are
# mostly reached through a third copy; 16 bands = 16 index rows per new story, the
# insert cost that keeps the whole pipeline above 1,000 posts/s at 1M posts.
NUM_PERM = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERM // BANDS
MINHASH_SEED = 20240605          # fixed: keys stored by earlier runs must stay comparable
# Exact Jaccard of the masked shingle sets at which a candidate is the same text.
# Reposts with 1-3 edits (paragraph dropped, sentence added, chrome, script,
# punctuation) measure 0.85 at the median on the bench corpus; the closest unrelated
# pair 0.46 (RESULTS.md). Form letters reused by different borrowers can reach 0.74:
# the number check below keeps them apart.
NEAR_DUP_SIMILARITY = 0.5
# Before fetching a candidate's text the store compares the stored signatures: an
# estimate from 64 permutations has a standard error of at most 0.0625, so a floor
# 3 errors below the threshold loses no true match and drops chance collisions.
SIGNATURE_FLOOR = NEAR_DUP_SIMILARITY - 0.19
# Chrome must never make a match on its own. Two texts reach Jaccard 0.5 when a shared
# block covers two thirds of each, so on a short page one footer line or one stock
# sentence would do it (the median sentence of the dev complaints is 24 Han chars, a
# site footer 20-30). Hence a match must also share MIN_SHARED_SHINGLES shingles, i.e.
# about 33 characters of running text in common: more than one such line. A body with
# fewer Han characters than MIN_HAN_CHARS cannot get there and is not indexed at all
# (370 of the 1,060 dev complaints: they still merge on platform id, URL and body hash).
MIN_SHARED_SHINGLES = 30
MIN_HAN_CHARS = 40
# Reposts keep the numbers of a complaint (amounts, dates, instalments); borrowers who
# file the same form letter change them (借款申请为60000元 / 为30000元). When both texts
# have numbers of 2+ digits, at least this share of the smaller set must be common.
MIN_SHARED_NUMBERS = 0.5
NUMBER = re.compile(r"\d{2,}")
# At most this many LSH candidates are verified per post: more than a handful only
# happens for a content farm's template family, whose members all look alike.
MAX_CANDIDATES = 8
# Lender surfaces are replaced by this character before shingling and hashing; it is
# a letter for `comparable`, so 〇催收 and 催收 stay different shingles.
LENDER_MASK = "〇"

_U64 = np.uint64
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(33), _U64(0xC4CEB9FE1A85EC53), _U64(33))
_SHINGLE_MULT = _U64(0x100000001B3)      # FNV-1a 64-bit prime: mixes one code point per step
_BAND_MULT = _U64(0x9E3779B97F4A7C15)    # golden-ratio odd constant (Fibonacci hashing)


def canonical_url(url: str) -> str:
    """http://Demo.local/a/1.html?from=index#top -> http://demo.local/a/1.html"""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in TRACKING_PARAMS and not k.lower().startswith("utm_")]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(sorted(query)), ""))


# ---------------------------------------------------------------- hashing primitives

def _fmix(values: np.ndarray, constants) -> np.ndarray:
    """MurmurHash3's finalizer, element-wise (the avalanche datasketch applies too)."""
    s1, m1, s2, m2, s3 = constants
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b) for our seed."""
    a, b = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def masked_body(body: str, surfaces) -> str:
    """The body with every lender surface replaced by LENDER_MASK, longest first.

    '我在安逸花借款,安逸花催收' with surface 安逸花 -> '我在〇借款,〇催收': a content
    farm's copies of one template with the lender swapped become the same text.
    """
    for surface in sorted({s for s in surfaces if s}, key=len, reverse=True):
        body = body.replace(surface, LENDER_MASK)
    return body


def code_points(text: str) -> np.ndarray:
    """Code points of the comparable text (no whitespace/punctuation, lowercase)."""
    return np.frombuffer(comparable(text).encode("utf-32-le"), dtype=np.uint32)


def han_count(points: np.ndarray) -> int:
    """Han characters (CJK unified + extension A) among the code points."""
    return int(np.count_nonzero((points >= 0x3400) & (points <= 0x9FFF)))


def shingle_hashes(points: np.ndarray, k: int = SHINGLE_SIZE) -> np.ndarray:
    """32-bit hashes of every k-character shingle (with repeats). A text shorter than
    k is one shingle. Vectorized: one numpy pass per character of the shingle."""
    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    k = min(k, n)
    count = n - k + 1
    wide = points.astype(_U64)
    acc = np.full(count, _U64(0xCBF29CE484222325))          # FNV offset basis
    for j in range(k):
        acc = (acc ^ wide[j:j + count]) * _SHINGLE_MULT
    return (_fmix(acc, _FMIX64) >> _U64(32)).astype(np.uint32)


def minhash_values(hashes: np.ndarray) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32) of a set of 32-bit shingle hashes.

    Bit for bit what datasketch's MinHash(scheme='affine32', seed=MINHASH_SEED)
    .update_batch(hashes) gives with an identity hash function (tested), computed
    on a whole array at once instead of one Python call per shingle.
    """
    a, b = _permutations()
    if len(hashes) == 0:
        return np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = _fmix(np.asarray(hashes, dtype=np.uint32), _FMIX32)[:, None]
    return (mixed * a + b).min(axis=0)


def as_datasketch(values: np.ndarray) -> MinHash:
    """The signature as a datasketch MinHash (for jaccard(), LeanMinHash, debugging)."""
    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32", hashvalues=values)


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per LSH band: the band's index and its ROWS_PER_BAND
    values hashed together. Equal key <=> (almost surely) equal band."""
    rows = values.reshape(BANDS, ROWS_PER_BAND).astype(_U64)
    acc = (np.arange(BANDS, dtype=_U64) + _U64(1)) * _BAND_MULT
    for j in range(ROWS_PER_BAND):
        acc = (acc ^ rows[:, j]) * _SHINGLE_MULT
    return _fmix(acc, _FMIX64).view(np.int64).tolist()


def signature_blob(values: np.ndarray) -> bytes:
    """Compact stored signature: the low 16 bits of each value (128 bytes). Two
    unrelated values agree by chance with probability 1/65536, negligible."""
    return (values & np.uint32(0xFFFF)).astype("<u2").tobytes()


def estimated_similarity(blob_a: bytes, blob_b: bytes) -> float:
    """Share of signature positions that agree: an estimate of the Jaccard similarity."""
    a = np.frombuffer(blob_a, dtype="<u2")
    b = np.frombuffer(blob_b, dtype="<u2")
    return float(np.count_nonzero(a == b)) / len(a)


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[int, float]:
    """(shared shingles, exact Jaccard similarity) of two shingle-hash arrays."""
    a, b = np.unique(a), np.unique(b)
    if len(a) == 0 and len(b) == 0:
        return 0, 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter, inter / (len(a) + len(b) - inter)


def numbers(text: str) -> frozenset[str]:
    """Numbers of 2+ digits in a text: '借款2000元分3期,合同2660' -> {'2000', '2660'}."""
    return frozenset(NUMBER.findall(text))


def numbers_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """False when both texts have numbers and they mostly differ (a form letter
    filed by another borrower), True otherwise."""
    if not a or not b:
        return True
    return len(a & b) >= MIN_SHARED_NUMBERS * min(len(a), len(b))


def template_key(masked: str, flat: str | None = None) -> str:
    """Key of a lender-masked text: the first 16 hex digits of the sha256 of its
    comparable form (`flat`, when the caller already has it)."""
    flat = comparable(masked) if flat is None else flat
    return hashlib.sha256(flat.encode("utf-8")).hexdigest()[:16]


def subject_key(lender_names) -> str:
    """The post's subject lenders, sorted and joined: '' when it names none."""
    return "|".join(sorted(set(lender_names)))


# ---------------------------------------------------------------- a post's fingerprint

Lenders = tuple[tuple[str, str, str], ...]     # (name, role, surface) as the lender stage found them


def lender_rows(found) -> Lenders:
    """The lender stage's matches as plain (name, role, surface) rows."""
    return tuple(sorted({(l.name, l.role, l.surface) for l in found}))


@dataclass(frozen=True)
class Fingerprint:
    """What the store needs to find and judge near-duplicates of one post."""
    han_chars: int
    template_key: str
    subject_key: str
    band_keys: tuple[int, ...] = ()     # empty: too short to near-match
    signature: bytes = b""              # signature_blob, for the cheap pre-check
    shingles: np.ndarray = field(default=None, compare=False, repr=False)   # of the masked body
    numbers: frozenset[str] = frozenset()
    lenders: Lenders = ()
    body: str = field(default="", compare=False, repr=False)

    @property
    def matchable(self) -> bool:
        return bool(self.band_keys)


def fingerprint(body: str, found) -> Fingerprint:
    """Fingerprint of a normalized body, given the lender stage's matches (objects
    with .name, .role and .surface): all surfaces are masked, subjects make the key."""
    rows = lender_rows(found)
    masked = masked_body(body, (surface for _, _, surface in rows))
    flat = comparable(masked)
    points = np.frombuffer(flat.encode("utf-32-le"), dtype=np.uint32)
    han = han_count(points)
    key = template_key(masked, flat)
    subjects = subject_key(name for name, role, _ in rows if role == "subject")
    if han < MIN_HAN_CHARS:
        return Fingerprint(han, key, subjects)
    shingles = shingle_hashes(points)
    values = minhash_values(shingles)
    return Fingerprint(han, key, subjects, tuple(band_keys(values)), signature_blob(values), shingles,
                       numbers(masked), rows, body)


# ---------------------------------------------------------------- judging candidates

@dataclass
class Candidate:
    """A stored post an LSH key pointed at, with what classify needs to judge it."""
    post_id: int
    story_id: int
    subject_key: str
    shingles: np.ndarray                # shingle hashes of its masked body
    template_key: str                   # of its masked body
    numbers: frozenset[str] = frozenset()
    lenders: Lenders = ()
    body: str = ""
    template_id: str | None = None      # its template group, if already flagged


@dataclass
class Verdict:
    duplicate_of: Candidate | None = None      # same story: the best match naming the same lenders
    template_of: Candidate | None = None       # same masked text, another lender swapped in
    similarity: float = 0.0


def candidate_from_row(post_id: int, story_id: int | None, body: str, rows,
                       template_id: str | None = None) -> Candidate:
    """A stored post as a Candidate. rows: (name, role, surface) from post_lenders."""
    rows = tuple(sorted(set(map(tuple, rows))))
    masked = masked_body(body, (surface for _, _, surface in rows))
    return Candidate(post_id, story_id or post_id,
                     subject_key(name for name, role, _ in rows if role == "subject"),
                     shingle_hashes(code_points(masked)), template_key(masked), numbers(masked),
                     rows, body, template_id)


# Characters of context either side of a lender name, and the longest other name that
# may stand between them, when looking for the same place in another text.
SLOT_CONTEXT = 3
SLOT_MAX_NAME = 10


def _vote(filler: str, same: set[str], others: set[str], at_edge: bool) -> int:
    """+1 kept, -1 swapped, 0 no evidence, for what the other text has in one place.
    `filler` is the text next to the context (up to SLOT_MAX_NAME characters)."""
    if any(s in filler for s in same):
        return 1
    if at_edge or any(filler.endswith(o) for o in others):
        return -1
    return 0


def slot_votes(text: str, surface: str, other: str, same: set[str], others: set[str]) -> tuple[int, int]:
    """(kept, swapped): what `other` has in each place where `text` names `surface`.

    A place is found by the SLOT_CONTEXT characters either side ('通过众安贷借得' ->
    通过 _ 借得). Inside the text the filler between the two contexts is read directly:
    '通过功夫贷借得' -> 功夫贷, swapped even though the lender stage missed 功夫贷;
    '通过众安贷app借得' keeps the name. Near the start or end of `text` only one side is
    known: the other text must have a known name next to that context (`same`: kept,
    `others`: swapped) or reach its own start/end within SLOT_MAX_NAME characters
    (another, unknown name: swapped). All texts comparable.
    """
    kept = swapped = 0
    for m in re.finditer(re.escape(surface), text):
        before = text[max(0, m.start() - SLOT_CONTEXT):m.start()]
        after = text[m.end():m.end() + SLOT_CONTEXT]
        votes = []
        if len(before) == SLOT_CONTEXT and len(after) == SLOT_CONTEXT:
            pattern = re.escape(before) + "(.{1,%d}?)" % SLOT_MAX_NAME + re.escape(after)
            votes = [1 if any(s in f.group(1) for s in same) else -1 for f in re.finditer(pattern, other)]
        elif len(after) == SLOT_CONTEXT:          # the name opens the text
            votes = [_vote(other[max(0, f.start() - SLOT_MAX_NAME):f.start()], same, others,
                           at_edge=f.start() <= SLOT_MAX_NAME)
                     for f in re.finditer(re.escape(after), other)]
        elif len(before) == SLOT_CONTEXT:         # the name closes the text
            votes = [_vote(other[f.end():f.end() + SLOT_MAX_NAME][::-1], {s[::-1] for s in same},
                           {o[::-1] for o in others}, at_edge=len(other) - f.end() <= SLOT_MAX_NAME)
                     for f in re.finditer(re.escape(before), other)]
        kept += votes.count(1)
        swapped += votes.count(-1)
    return kept, swapped


def lender_swapped(a, b) -> bool:
    """True when, in the places where one text names one of its subject lenders, the
    other text mostly names another lender: a content farm's swap.

    Evidence comes from the places themselves, not from the lender stage's verdict
    on each copy: a repost that gained a sentence (向当地金融监管部门反映 read as a
    lender), lost the paragraph naming the lender, or spells it 安*花 instead of
    安逸花 is still a copy; a sibling with 众安贷 where the first said 功夫贷 (even if
    功夫贷 went undetected) is a swap, whatever other lenders both texts mention.
    """
    for x, y in ((a, b), (b, a)):
        x_text, y_text = comparable(x.body), comparable(y.body)
        for name, role, surface in x.lenders:
            surface = comparable(surface)
            if role != "subject" or not surface:
                continue
            same = {surface} | {comparable(s) for n, _, s in y.lenders if n == name} - {""}
            others = {comparable(s) for n, _, s in y.lenders if n != name} - same - {""}
            kept, swapped = slot_votes(x_text, surface, y_text, same, others)
            if swapped > kept:
                return True
    return False


def classify(fp: Fingerprint, candidates: list[Candidate]) -> Verdict:
    """Judge a new post's fingerprint against stored candidates.

    A candidate is the same text when the masked shingles reach NEAR_DUP_SIMILARITY
    and MIN_SHARED_SHINGLES, and their numbers agree. The most similar such candidate
    naming the same lender makes the post a copy of its story; otherwise the most
    similar one with a lender swapped makes it a template sibling. Ties go to the
    earliest story. A post can be both: a repost of one farm copy is a copy of that
    copy's story and a member of the farm's template.
    """
    verdict = Verdict()
    scored = []
    for cand in candidates:
        shared, similarity = overlap(fp.shingles, cand.shingles)
        if (similarity >= NEAR_DUP_SIMILARITY and shared >= MIN_SHARED_SHINGLES
                and numbers_agree(fp.numbers, cand.numbers)):
            scored.append((similarity, cand))
    scored.sort(key=lambda sc: (-sc[0], sc[1].story_id))
    for similarity, cand in scored:
        if not lender_swapped(fp, cand):
            if verdict.duplicate_of is None:
                verdict.duplicate_of, verdict.similarity = cand, similarity
        elif verdict.template_of is None:
            verdict.template_of = cand
    return verdict
