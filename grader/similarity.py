"""Copied work: pairs of submissions whose student-written code is suspiciously alike.

copydetect (the winnowing fingerprints of MOSS) compares each pair's code after tokenizing it, so
renamed variables, removed comments and reordered functions still match; every fingerprint of the
released notebook (given code, stubs, docstrings) is boilerplate and never counts, so two
untouched stubs share nothing. A pair's similarity is the larger of the two shares of each
file's own code found in the other, so a solution pasted into a larger notebook still scores
high; pairs whose shared code is shorter than MIN_OVERLAP are never listed, so a student who
wrote three lines cannot match a classmate by coincidence.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from grader.course_notebooks import notebook_code, student_notebook

NOISE = 25
"""copydetect's noise threshold: matches shorter than this many tokenized characters are ignored."""
GUARANTEE = 30
"""copydetect's guarantee threshold: matches at least this long are always found (winnowing)."""
THRESHOLD = 0.6
"""Pairs at or above this similarity are listed (grade --similarity-threshold)."""
MIN_OVERLAP = 200
"""Tokenized characters two files must share to be listed (two independent solutions here: 113)."""
"""Pairs at or above this similarity are listed (grade --similarity-threshold)."""


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


def similar_pairs(sources: dict[str, str], *, threshold: float = THRESHOLD) -> list[dict]:
    """[{"students": [a, b], "similarity": s}] for every pair at or above threshold, most similar first."""
    boilerplate = sorted(_fingerprint("released.py", notebook_code(student_notebook())).hashes)
    prints = {student: _fingerprint(f"{student}.py", code, boilerplate) for student, code in sorted(sources.items())
              if code.strip()}
    pairs = []
    for (a, first), (b, second) in itertools.combinations(prints.items(), 2):
        if not first.token_coverage or not second.token_coverage:
            continue  # nothing of its own left once the released code is taken out
        overlap, (share_a, share_b), _ = compare_files(first, second)
        similarity = round(float(max(share_a, share_b)), 3)
        if overlap >= MIN_OVERLAP and similarity >= threshold:
            pairs.append({"students": [a, b], "similarity": similarity})
    return sorted(pairs, key=lambda pair: -pair["similarity"])


def _fingerprint(name: str, code: str, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint(name, NOISE, GUARANTEE - NOISE + 1, boilerplate=boilerplate, fp=io.StringIO(code))
