"""Plain, immutable records that flow one way: spec -> result -> report -> renderers."""

from __future__ import annotations

from dataclasses import dataclass

PASSED = "passed"
FAILED = "failed"
VISIBLE = "visible"
HIDDEN = "hidden"
GRADER_FAILED = "Not graded: the grader failed: {reason}. This is not a grade; your instructor has been told."
"""Every check's feedback when the grader itself failed on a submission (Report.grader_failure)."""
HIDDEN_FEEDBACK = "This hidden check did not pass. Its details are shown to your instructor only."
"""What a student reads for a failed hidden check, wherever it is shown (terminal, JSON, notebook,
nbgrader feedback): the points, never the finding."""


@dataclass(frozen=True)
class CheckSpec:
    """One line of the rubric."""

    id: str
    """Stable id from the contract, e.g. ``logging.parallel``."""
    name: str
    """One sentence a student understands."""
    points: float
    """Points earned when the check passes (all or nothing)."""
    visibility: str = VISIBLE
    """``visible``: students see the feedback; ``hidden``: they see the points only."""
    timeout: float = 60.0
    """Seconds the whole check may take, fixtures included."""
    needs: tuple[str, ...] = ()
    """Submission names the check uses; a shape problem in one of them fails the check at once."""


ACTOR, REMOTE_FUNCTION, FUNCTION, VALUE = "actor class", "remote function", "plain function", "value"
KINDS = (ACTOR, REMOTE_FUNCTION, FUNCTION, VALUE)


@dataclass(frozen=True)
class Expected:
    """One name of an assignment's contract, as its record (assignment.json) writes it."""

    name: str
    kind: str
    """One of KINDS."""
    signature: str
    """As the contract writes it, quoted in messages."""
    calls: tuple = ()
    """Ways the checks call it: (method or "", args, kwargs), bound against the real signature."""

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "signature": self.signature,
                "calls": [[method, list(args), kwargs] for method, args, kwargs in self.calls]}

    @classmethod
    def from_json(cls, entry) -> "Expected":
        """ValueError, saying what is wrong, for an entry that is not one."""
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("name", "kind", "signature")):
            raise ValueError('each entry is {"name": ..., "kind": ..., "signature": ..., "calls": [...]}, '
                             f"got {str(entry)[:120]}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{entry['name']}: kind {entry['kind']!r} is none of {', '.join(map(repr, KINDS))}")
        calls = []
        for call in entry.get("calls") or ():
            if not (isinstance(call, list) and len(call) == 3 and isinstance(call[0], str)
                    and isinstance(call[1], list) and isinstance(call[2], dict)):
                raise ValueError(f"{entry['name']}: each call is [method or \"\", [args], {{kwargs}}], got {call}")
            calls.append((call[0], tuple(call[1]), call[2]))
        return cls(entry["name"], entry["kind"], entry["signature"], tuple(calls))


@dataclass(frozen=True)
class CheckResult:
    """What one check found for one submission."""

    id: str
    name: str
    score: float
    max_score: float
    status: str
    visibility: str
    feedback: str = ""
    seconds: float = 0.0

    @classmethod
    def failed(cls, spec: CheckSpec, feedback: str, seconds: float = 0.0) -> "CheckResult":
        return cls(spec.id, spec.name, 0.0, spec.points, FAILED, spec.visibility, feedback, seconds)

    @classmethod
    def passed(cls, spec: CheckSpec, seconds: float = 0.0) -> "CheckResult":
        return cls(spec.id, spec.name, spec.points, spec.points, PASSED, spec.visibility, "", seconds)

    @property
    def student_feedback(self) -> str:
        """The feedback a student may read: the one rule for hidden checks."""
        if self.feedback.startswith(GRADER_FAILED.split("{")[0]):  # nothing was judged: nothing to hide
            return self.feedback
        return HIDDEN_FEEDBACK if self.visibility == HIDDEN and self.status != PASSED else self.feedback

    @property
    def cell_text(self) -> str:
        """What an nbgrader autograder cell shows for this check (its output, or its error's message)."""
        points = f"{self.score:g}/{self.max_score:g}"
        if self.status == PASSED:
            return f"passed ({points}): {self.name}"
        return f"{self.id} not passed ({points}): {self.name}\n{self.student_feedback}"

    def to_json(self, *, student_view: bool = False) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "visibility": self.visibility,
            "feedback": self.student_feedback if student_view else self.feedback,
            "seconds": round(self.seconds, 1),
        }


def parse_cell_text(text: str) -> tuple[bool, str, str]:
    """(passed, check name, feedback) from CheckResult.cell_text, the inverse of it; (False, "", "")
    when the text is not one (a cell that did not run, or printed something else)."""
    first, _, rest = text.strip().partition("\n")
    verdict, separator, name = first.partition("): ")
    if not separator:
        return False, "", ""
    if verdict.startswith("passed ("):
        return True, name, ""
    if " not passed (" in verdict:
        return False, name, rest.strip()
    return False, "", ""


@dataclass(frozen=True)
class Report:
    """The grade of one submission. Scores are derived from the checks, never stored twice."""

    submission: str
    """The path as the user gave it (or as found inside a class folder)."""
    student: str
    checks: tuple[CheckResult, ...]
    flags: tuple[str, ...] = ()
    """Integrity warnings for the instructor (tampering, limits hit, ...)."""
    notes: tuple[str, ...] = ()
    """Things the student should know that are not a check (ignored ray.init, skipped cells, ...)."""
    problem: str = ""
    """Set when the submission could not be used at all (not a notebook, nothing to grade ...)."""
    staff_log: str = ""
    """Grader-side diagnostics (tracebacks, process output tails); never shown to students."""
    seconds: float = 0.0
    grader_failure: str = ""
    """Set when the grader itself failed on this submission (Ray did not start, the sandbox could not
    be made, the grader crashed): then nothing here is a grade. No gradebook, LMS file or feedback
    takes it, the run exits non-zero, and a rerun grades it again."""
    reused: bool = False
    """Taken from an earlier run's saved reports (--results), not graded in this run."""

    @property
    def graded(self) -> bool:
        return not self.grader_failure

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 4)

    def to_json(self, *, student_view: bool = False) -> dict:
        """The contract's report; when the grader failed, "score" is null (not a grade) and
        "grader_failure" says why. The instructor's view carries the staff log, the student's not."""
        out = {
            "submission": self.submission,
            "student": self.student,
            "score": self.score if self.graded else None,
            "max_score": self.max_score,
            "checks": [c.to_json(student_view=student_view) for c in self.checks],
            "flags": list(self.flags),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 1),
        }
        if self.problem:
            out["problem"] = self.problem
        if self.grader_failure:
            out["grader_failure"] = self.grader_failure
        if self.reused:
            out["reused"] = True
        if not student_view and self.staff_log:
            out["staff_log"] = self.staff_log
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Report":
        fields = ("id", "name", "score", "max_score", "status", "visibility", "feedback", "seconds")
        checks = tuple(CheckResult(**{k: c[k] for k in fields if k in c}) for c in data["checks"])
        return cls(submission=data["submission"], student=data.get("student", ""), checks=checks,
                   flags=tuple(data.get("flags", ())), notes=tuple(data.get("notes", ())),
                   problem=data.get("problem", ""), staff_log=data.get("staff_log", ""),
                   seconds=data.get("seconds", 0.0), grader_failure=data.get("grader_failure", ""),
                   reused=bool(data.get("reused", False)))


@dataclass(frozen=True)
class Submission:
    """Where one student's work is, before anything is run."""

    path: str
    """The file to grade (notebook or .py), or the folder when no file could be chosen."""
    student: str
    shown_as: str
    """How reports name it: the path as given by the user."""
    problem: str = ""
    """Set when discovery already knows this cannot be graded (e.g. an empty folder)."""
    checks: tuple[str, ...] = ()
    """The checks to run on it; empty: those the whole run selects (all, or --only)."""
