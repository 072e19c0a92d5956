"""`sub`, the object every check receives: the student's definitions plus what the grader
knows about their shape, a scratch folder, and a safe way to swap a global for one check."""

from __future__ import annotations

import contextlib
import itertools
import types
from pathlib import Path

from grader.checks import CheckFailed
from grader.checks.clock import sleeps_served_at_once
from grader.checks.evidence import Evidence
from grader.checks.observe import concurrency
from grader.checks.probes import stand_in


class Grading:
    def __init__(self, module: types.ModuleType | None, shape_problems: dict[str, str], problem: str,
                 scratch_root: Path, evidence_root: Path | None = None, *, actor_methods: tuple[str, ...] = ()):
        """evidence_root: where the instruments' gates and reports live (grader.checks.evidence);
        in a sandbox, a folder its processes see read-only. actor_methods: every method of the
        contract's actor classes (what an instrument handed the student's handles can call)."""
        self.module = module
        self.actor_methods = actor_methods
        self.shape_problems = shape_problems
        self.problem = problem
        self.scratch_root = Path(scratch_root)
        self._counter = itertools.count(1)
        self._evidence_root = Path(evidence_root) if evidence_root else self.scratch_root / "evidence"
        self._evidence: Evidence | None = None

    @property
    def evidence(self) -> Evidence:
        if self._evidence is None:
            self._evidence = Evidence(self._evidence_root)
        return self._evidence

    def take_forgeries(self) -> list[str]:
        """Instrument reports found forged since the last look (see grader.checks.evidence)."""
        if self._evidence is None:
            return []
        taken, self._evidence.forgeries = self._evidence.forgeries, []
        return taken

    def close(self) -> None:
        if self._evidence is not None:
            self._evidence.close()

    def __getattr__(self, name):
        module = self.__dict__.get("module")
        if module is not None and hasattr(module, name):
            return getattr(module, name)
        raise AttributeError(name)

    def require(self, names) -> None:
        """Fail the check at once, with the precise shape message, if it cannot run."""
        if self.problem:
            raise CheckFailed(f"Not graded: {self.problem}")
        messages = [self.shape_problems[n] for n in names if n in self.shape_problems]
        if messages:
            raise CheckFailed(" ".join(dict.fromkeys(messages)))

    def scratch(self, label: str) -> str:
        """A new empty folder the grader writes (a gate it opens) and the submission's processes
        may only read (in a sandbox); the instruments given it report beside it."""
        return self.evidence.folder(f"{next(self._counter):02d}-{label}")

    def take_tampering(self) -> list[str]:
        """Grading machinery the submission replaced since the last look (none here: in a student's
        own kernel the checks are a preview, see grader.notebook)."""
        return []

    def take_deaths(self) -> list:
        """Exit statuses of processes running the submission that ended since the last look."""
        return []

    def list_length(self, name: str) -> int | None:
        """len() of the submission's list `name`, or None where it is not a list."""
        value = getattr(self.module, name, None)
        return len(value) if isinstance(value, list) else None

    def concurrency_of(self, class_name: str) -> tuple[list[str], int]:
        return concurrency(getattr(self.module, class_name))

    def class_names(self, name: str) -> set[str]:
        """The names Ray may record for actors of the contract's class `name` (the class it binds
        may be called otherwise: `LoggingActor = ray.remote(LogStore)`)."""
        bound = getattr(getattr(self.module, name, None), "__ray_actor_class__", None)
        return {name, *([bound.__name__] if isinstance(bound, type) else [])}

    def call_serving_sleeps(self, function: str, *args, **kwargs) -> tuple[object, int]:
        """One of the submission's driver-side functions called with its own time.sleep served at
        once (grader.checks.clock): (what it returned, how many sleeps it asked for)."""
        with sleeps_served_at_once(self.module.__dict__) as served:
            value = getattr(self.module, function)(*args, **kwargs)
        return value, len(served)

    def instrument(self, actor_class, *args):
        """Start one of the grader's actors (a probe) that the submission's code will be handed."""
        return actor_class.remote(*args)

    @contextlib.contextmanager
    def replaced(self, name: str, value):
        """Swap one of the student's globals (e.g. run_experiment) for the duration of a block;
        a recipe (grader.checks.probes.RECIPES) is built against the student's namespace."""
        put_back = stand_in(self.module.__dict__, name, value)
        try:
            yield None
        finally:
            put_back()
