"""Gradescope: the autograder zip (`grade --gradescope-autograder OUT.zip`) and what runs in it.

The zip holds, at its root, what Gradescope asks for: `setup.sh` (run once when the autograder
image is built: a venv with the pinned requirements; the only time the network is used) and
`run_autograder` (run per upload: `python -m grader.gradescope`), beside this package's source,
the course notebooks and requirements.txt pinned from the instructor's environment.

Per upload, `run()` grades whatever is in submission/ with the same checks and isolation as
`grade`, and writes results/results.json as Gradescope's specification has it: one test per
check (the hidden one `after_published` unless configured otherwise, its output points only),
written first with every check "not graded yet", then again as each check finishes, so that a
Gradescope time-out keeps what was graded, and a last time when grading is done. An upload with
nothing to grade still gets a valid results.json, score 0, saying what to upload.
AUTOGRADER_ROOT (default /autograder) relocates every path, for tests and local tries.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from grader.atomic import write_atomically
from grader.checks import all_specs
from grader.course_notebooks import solution_notebook, student_notebook
from grader.discovery import submission_folder
from grader.grading import grade_submissions
from grader.records import HIDDEN, PASSED, CheckResult, Report
from grader.verdict import Observed, build_report, progress

GRADING_NEEDS = ("ray", "pytest", "pytest-timeout", "nbformat", "psutil", "numpy", "ipython", "tqdm", "packaging")
"""What grading an upload imports (not JupyterLab or nbgrader: the autograder never runs them)."""
PACKAGE = Path(__file__).resolve().parent
HIDDEN_VISIBILITY = "after_published"
WALL_SECONDS = 900.0
NOT_YET = "Not graded yet: grading stopped before this check finished (the autograder's time limit?)."
UPLOAD_HINT = ("Upload your notebook, actor_tree.ipynb (File > Download in JupyterLab), or a .py file with the "
               "same definitions.")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image:
# a venv with the pinned requirements. Grading itself needs no network.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$(dirname "$0")"
if ! python3 -m venv --help >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet -r requirements.txt
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every upload: grade submission/ into results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
exec "$ROOT/venv/bin/python" -m grader.gradescope --hidden-visibility "${HIDDEN_VISIBILITY:-%s}"
""" % HIDDEN_VISIBILITY


# -- the zip -------------------------------------------------------------------------------------

def build_autograder(out: Path) -> Path:
    """Write the Gradescope autograder zip; its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", SETUP_SH, executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(archive, "requirements.txt", "\n".join(pinned_requirements()) + "\n")
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".ipynb"):
                _add(archive, f"grader/{path.relative_to(PACKAGE).as_posix()}", path.read_text())
        for kind, notebook in (("solutions", solution_notebook()), ("assignments", student_notebook())):
            _add(archive, f"{kind}/actor_tree/actor_tree.ipynb", notebook.read_text())
    return out


def _add(archive: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def pinned_requirements(roots=GRADING_NEEDS) -> list[str]:
    """What grading imports, and its dependencies, at the versions installed here (`pkg==version`)."""
    pins, todo = {}, [Requirement(r) for r in roots]
    while todo:
        requirement = todo.pop()
        key = requirement.name.lower().replace("_", "-")
        if key in pins or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        try:
            pins[key] = f"{requirement.name}=={metadata.version(requirement.name)}"
            todo += [Requirement(r) for r in metadata.requires(requirement.name) or ()]
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here is not needed there either
    return sorted(pins.values(), key=str.lower)


# -- one upload ----------------------------------------------------------------------------------

def root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def run(*, hidden_visibility: str = HIDDEN_VISIBILITY, wall_seconds: float = WALL_SECONDS) -> dict:
    """Grade the upload in submission/ into results/results.json; the results written."""
    started = time.monotonic()
    results = root() / "results" / "results.json"
    specs = all_specs()
    submission = submission_folder(root() / "submission", "student")
    if submission.problem:
        data = results_json(None, specs, hidden_visibility, time.monotonic() - started,
                            output=f"Nothing to grade: {submission.problem}. {UPLOAD_HINT}")
        _write(results, data)
        return data
    _write(results, results_json([CheckResult.failed(s, NOT_YET) for s in specs], specs, hidden_visibility, 0.0,
                                 output="Grading started; no check has finished yet."))

    def partial(_submission, runs) -> None:
        done = set().union(*(progress(run).graded for run in runs))
        report = build_report(submission, specs, Observed(runs=tuple(runs)))
        checks = [c if c.id in done else CheckResult.failed(s, NOT_YET) for c, s in zip(report.checks, specs,
                                                                                          strict=True)]
        _write(results, results_json(checks, specs, hidden_visibility, time.monotonic() - started,
                                     output="Grading is still running; these are the checks graded so far."))

    report = grade_submissions([submission], wall_seconds=wall_seconds, on_partial=partial,
                               off_limits=[results.parent])[0]
    data = results_json(list(report.checks), specs, hidden_visibility, time.monotonic() - started,
                        output=_summary(report))
    _write(results, data)
    return data


def results_json(checks: list[CheckResult] | None, specs, hidden_visibility: str, seconds: float, *,
                 output: str) -> dict:
    """Gradescope's results.json; `checks` None when nothing could be graded (all 0)."""
    checks = checks if checks is not None else [CheckResult.failed(s, output) for s in specs]
    tests = []
    for number, check in enumerate(checks, 1):
        hidden = check.visibility == HIDDEN
        tests.append({
            "name": f"{check.id}: {check.name}", "number": str(number), "score": check.score,
            "max_score": check.max_score, "status": "passed" if check.status == PASSED else "failed",
            "output": check.student_feedback or ("Passed." if check.status == PASSED else ""),
            "output_format": "text", "visibility": hidden_visibility if hidden else "visible",
        })
    return {"score": round(sum(c.score for c in checks), 4), "execution_time": round(seconds),
            "output": output, "output_format": "text", "stdout_visibility": "hidden", "visibility": "visible",
            "tests": tests}


def _summary(report: Report) -> str:
    lines = [f"{report.score:g} / {report.max_score:g} points."]
    if report.problem:
        lines.append(f"Your upload could not be graded: {report.problem}. {UPLOAD_HINT}")
    lines += report.notes
    return "\n".join(lines)


def _write(path: Path, data: dict) -> None:
    """Atomically: Gradescope may stop us at any moment and must find a whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(data, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope",
                                     description="Grade $AUTOGRADER_ROOT/submission into results/results.json.")
    parser.add_argument("--hidden-visibility", default=HIDDEN_VISIBILITY,
                        choices=("hidden", "after_due_date", "after_published", "visible"))
    parser.add_argument("--timeout", type=float, default=WALL_SECONDS)
    args = parser.parse_args(argv)
    try:
        run(hidden_visibility=args.hidden_visibility, wall_seconds=args.timeout)
    except Exception as error:  # still a valid results.json: the student must never see a blank result
        _write(root() / "results" / "results.json", results_json(
            None, all_specs(), args.hidden_visibility, 0.0,
            output=f"The autograder itself failed ({type(error).__name__}); your instructor has been told. "
                   "Try uploading again later."))
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
