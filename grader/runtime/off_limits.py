"""Which paths the code being graded may not touch, for the audit hook that every process of a
grading run installs at start-up (grader/runtime/startup/sitecustomize.py)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from grader.course_notebooks import solution_notebook
from grader.records import Submission


@dataclass(frozen=True)
class OffLimits:
    deny: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()

    def write(self, workdir: Path, own_files: list[Path]) -> tuple[Path, Path]:
        """The guard file for one submission's run; (guard file, attempts log)."""
        log = workdir / "guard.log"
        config = workdir / "guard.json"
        deny = [*self.deny, *(str(p) for p in own_files), str(config), str(log)]
        config.write_text(json.dumps({"deny": [_real(p) for p in deny], "allow": [_real(p) for p in self.allow],
                                      "log": str(log)}))
        return config, log


def for_submission(submission: Submission, everyone: list[Submission], *, results_dir=None,
                   extra_deny=()) -> OffLimits:
    """The reference solutions, every other student's folder, the results folder and whatever
    else the caller names are off limits; the student's own folder is not."""
    deny = [str(solution_notebook().parent)]
    own = _folder(submission)
    for other in everyone:  # students in folders of their own, or files side by side in one folder
        if other is not submission:
            deny.append(str(_folder(other) if _folder(other) != own else other.path))
    if results_dir:
        deny.append(str(results_dir))
    deny += [str(p) for p in extra_deny]
    return OffLimits(deny=tuple(deny), allow=(str(_folder(submission)),))


def attempts(log: Path, limit: int = 5) -> list[str]:
    """Flags for the instructor, from the attempts the hook refused."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    seen = list(dict.fromkeys(tuple(line.split("\t")[:2]) for line in lines if "\t" in line))
    flags = [f"Tampering: the code being graded tried to reach {path} ({event}), which is off limits; "
             "it was refused." for event, path in seen[:limit]]
    if len(seen) > limit:
        flags.append(f"... and {len(seen) - limit} more refused attempts of the same kind.")
    return flags


def _folder(submission: Submission) -> Path:
    path = Path(submission.path)
    return path.parent if path.suffix else path


def _real(path) -> str:
    return os.path.realpath(str(path))
