"""Copied work: pairs of submissions whose student-written code is suspiciously alike.

copydetect (the winnowing fingerprints of MOSS) compares each pair's code after tokenizing it, so
renamed variables, removed comments and reordered functions still match; every fingerprint of the
released notebook (given code, stubs, docstrings) is boilerplate and never counts, so two
untouched stubs share nothing. A pair's similarity is the larger of the two shares of each
file's own code found in the other, so a solution pasted into a larger notebook still scores
high; pairs whose shared code is shorter than MIN_OVERLAP are never listed, so a student who
wrote three lines cannot match a classmate by coincidence.

A pair's similarity is one number wherever it is shown (terminal, --json, --report): it is rounded
here, once, to a whole percent, and it is the same from one run to the next. copydetect hashes its
k-grams with Python's hash(), which is salted per process (PYTHONHASHSEED), so the fingerprints
that winnowing keeps, and with them the similarity, changed by a few percent between two runs on
the same files (a report said 93% where the terminal of another run said 95%); the k-grams are
hashed here with a fixed hash instead, and copydetect only tokenizes, winnows and compares.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from copydetect import compare_files
from copydetect.utils import filter_code, get_token_coverage, winnow

from grader.assignment import Assignment
from grader.course_notebooks import notebook_code, student_notebook

NOISE = 25
"""copydetect's noise threshold: matches shorter than this many tokenized characters are ignored."""
GUARANTEE = 30
"""copydetect's guarantee threshold: matches at least this long are always found (winnowing)."""
THRESHOLD = 0.6
"""Pairs at or above this similarity are listed (grade --similarity-threshold)."""
MIN_OVERLAP = 200
"""Tokenized characters two files must share to be listed (two independent solutions here: 108)."""
PLACES = 2
"""A similarity is a share rounded to this many decimals: a whole percent, as every surface shows it."""


def student_code(path: Path) -> str:
    """The code of a submission (a notebook's code cells, demos and autograder cells left out), or
    "" when it cannot be read."""
    try:
        if path.suffix == ".ipynb":
            json.loads(path.read_text(encoding="utf-8"))  # nbformat accepts less than a notebook is
            return notebook_code(path)
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, KeyError):
        return ""


def similar_pairs(sources: dict[str, str], assignment: Assignment, *, threshold: float = THRESHOLD) -> list[dict]:
    """[{"students": [a, b], "similarity": s}] for every pair at or above threshold, most similar
    first; what `assignment`'s student version holds is no one's own."""
    boilerplate = sorted(_fingerprint("released.py", notebook_code(student_notebook(assignment))).hashes)
    prints = {student: _fingerprint(f"{student}.py", code, boilerplate) for student, code in sorted(sources.items())
              if code.strip()}
    pairs = []
    for (a, first), (b, second) in itertools.combinations(prints.items(), 2):
        if not first.token_coverage or not second.token_coverage:
            continue  # nothing of its own left once the released code is taken out
        overlap, (share_a, share_b), _ = compare_files(first, second)
        similarity = round(float(max(share_a, share_b)), PLACES)
        if overlap >= MIN_OVERLAP and similarity >= threshold:
            pairs.append({"students": [a, b], "similarity": similarity})
    return sorted(pairs, key=lambda pair: -pair["similarity"])


@dataclass(frozen=True)
class Fingerprint:
    """What copydetect's compare_files reads of a CodeFingerprint, made with a fixed hash."""

    filtered_code: str
    offsets: np.ndarray
    hashes: set
    hash_idx: dict
    k: int
    token_coverage: float


def stable_hash(text: str) -> int:
    """A k-gram's hash, the same in every process (48 bits: exact as the float copydetect's
    winnowing compares them as)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).digest(), "big")


def _fingerprint(name: str, code: str, boilerplate=None) -> Fingerprint:
    """copydetect's CodeFingerprint (tokenize, hash the k-grams, winnow, drop the boilerplate), the
    k-grams hashed with stable_hash rather than the per-process hash()."""
    k, window = NOISE, GUARANTEE - NOISE + 1
    filtered, offsets = filter_code(code, name)
    all_hashes = np.array([stable_hash(filtered[i:i + k]) for i in range(len(filtered) - k + 1)], dtype=np.int64)
    hashes, idx = winnow(all_hashes, window_size=window, remove_duplicates=False) if len(all_hashes) else (
        all_hashes, np.array([], dtype=np.int64))
    if boilerplate is not None and len(boilerplate):
        kept = ~np.isin(hashes, boilerplate)  # every occurrence (copydetect's intersect1d drops only one)
        hashes, idx = hashes[kept], idx[kept]
    hash_idx: dict[int, list[int]] = {}
    for value, index in zip(hashes.tolist(), idx.tolist(), strict=True):
        hash_idx.setdefault(value, []).append(index)
    coverage = float(get_token_coverage(hash_idx, k, len(filtered)))
    return Fingerprint(filtered, offsets, set(hash_idx), hash_idx, k, coverage)
