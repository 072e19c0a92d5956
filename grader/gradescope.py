"""Gradescope: the autograder zip (`grade --gradescope-autograder OUT.zip`) and what runs in it.

The zip holds, at its root, what Gradescope asks for: `setup.sh` (run once when the autograder
image is built: a venv with the pinned requirements; the only time the network is used) and
`run_autograder` (run per upload: `python -m grader.gradescope`), beside this package's source,
the course notebooks and requirements.txt.

requirements.txt installs where Gradescope runs it, not where it is built. It pins, with
`python_version` markers, the versions installed here for this Python and newer (what grading was
tested with), and for each older Python down to 3.10, the python3 of Gradescope's Ubuntu 22.04
base image (the image the README names), the versions pip resolves for that Python on PyPI, no
newer than those installed here (ray exactly the same). That resolution needs the network at build
time (about 10 s a Python): when it fails (PyPI unreachable, no wheel of this Ray for that Python)
the build says so on stderr, pins only down to the oldest Python it could resolve, and setup.sh
refuses an older python3 with a message naming the Python it needs and the image to choose.

Per upload, `run()` grades whatever is in submission/ with the same checks and isolation as
`grade`, and writes results/results.json as Gradescope's specification has it: one test per
check (the hidden one `after_published` unless configured otherwise, its output points only),
written first with every check "not graded yet", then again as each check finishes, so that a
Gradescope time-out keeps what was graded, and a last time when grading is done. An upload with
nothing to grade still gets a valid results.json, score 0, saying what to upload. When the grader
itself fails (Ray did not start, the sandbox could not be made, the grader crashed), nothing is a
grade: results.json says so (`failure_json`) and `python -m grader.gradescope` exits 1.
AUTOGRADER_ROOT (default /autograder) relocates every path, for tests and local tries.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.atomic import write_atomically
from grader.checks import all_specs
from grader.assignment import Assignment, find
from grader.discovery import submission_folder
from grader.grading import grade_submissions
from grader.records import GRADER_FAILED, HIDDEN, PASSED, CheckResult, Report
from grader.verdict import Observed, build_report, progress

GRADING_NEEDS = ("ray", "pytest", "pytest-timeout", "nbformat", "psutil", "numpy", "ipython", "tqdm", "packaging")
"""What grading an upload imports (not JupyterLab or nbgrader: the autograder never runs them)."""
EXACT = ("ray",)
"""Pinned at the version installed here for every Python: what the grader was tested with."""
GRADESCOPE_PYTHON = (3, 10)
GRADESCOPE_IMAGE = "Ubuntu 22.04 base image"
"""The image the README names, and its python3 (Ubuntu 22.04's Python is 3.10)."""
GRADESCOPE_PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(35, 16, -1)) + ("manylinux2014_x86_64",)
"""Wheels that run there: x86_64, glibc 2.35 (Ubuntu 22.04's) or older."""
RESOLVE_SECONDS = 180.0
UNREACHABLE = ("NewConnectionError", "ConnectTimeout", "ReadTimeout", "Max retries exceeded", "Could not fetch URL",
               "Temporary failure in name resolution", "Name or service not known")
"""What pip says when the package index does not answer."""
PACKAGE = Path(__file__).resolve().parent
HIDDEN_VISIBILITY = "after_published"
WALL_SECONDS = 900.0
NOT_YET = "Not graded yet: grading stopped before this check finished (the autograder's time limit?)."
UPLOAD_HINT = ("Upload your notebook, {notebook} (File > Download in JupyterLab), or a .py file with the "
               "same definitions.")
GRADING_FAILED = ("GRADING FAILED: the autograder itself failed on this upload: {reason}. Nothing was graded, and "
                  "this is not your grade: the score Gradescope shows is only the placeholder its results need. "
                  "Your instructor has been told: the failure and its details are recorded with this submission "
                  "for the course staff. Upload again later, or wait for your instructor to rerun the autograder.")
"""results.json's output, and its first test's, when the grader failed (never a student's fault)."""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder image:
# a venv with the pinned requirements. Grading itself needs no network.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
NEEDS="%(needs)s"
HINT="%(hint)s"
cd "$(dirname "$0")"
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
fi
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null; then
  # The sandbox: the student's code under a user id of its own, apart from the judge (where the
  # container lets bubblewrap make namespaces; grade says which protection was in force).
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap || true
fi
if ! python3 -c "import sys; sys.exit(sys.version_info[:2] < (%(major)d, %(minor)d))" >/dev/null 2>&1; then
  echo "setup.sh: this autograder needs $NEEDS, but this image's python3 ($(command -v python3 || echo none)) is" \\
       "$(python3 -V 2>&1 || echo missing). $HINT" >&2
  exit 1
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
if ! "$ROOT/venv/bin/python" -m pip install --quiet -r requirements.txt; then
  echo "setup.sh: pip could not install requirements.txt on $("$ROOT/venv/bin/python" -V 2>&1); it is pinned" \\
       "for $NEEDS. $HINT" >&2
  exit 1
fi
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every upload: grade submission/ into results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export PYTHONPATH="$ROOT/source${PYTHONPATH:+:$PYTHONPATH}"
exec "$ROOT/venv/bin/python" -m grader.gradescope --hidden-visibility "${HIDDEN_VISIBILITY:-%s}"
""" % HIDDEN_VISIBILITY


# -- the zip -------------------------------------------------------------------------------------

def build_autograder(out: Path, *, say=None, assignment: Assignment | None = None) -> Path:
    """Write the Gradescope autograder zip of `assignment` (the only one installed, if not given);
    its path. `say(text)` (default: stderr) is told which Python the zip needs and which image to choose."""
    assignment = assignment or find()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pinned = requirements()
    (say or (lambda text: print(text, file=sys.stderr)))(pinned.summary)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", pinned.setup_sh(), executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(archive, "requirements.txt", pinned.text)
        # The package's code only: an install from a wheel holds every assignment under grader/data/, and
        # the image must find the one chosen, alone, where it is added below.
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".ipynb") \
                    and path.relative_to(PACKAGE).parts[0] != "data":
                _add(archive, f"grader/{path.relative_to(PACKAGE).as_posix()}", path.read_text())
        # Its folder (source, record, a rubric beside it) and its release, where the image's grader finds them.
        kept = (".ipynb", ".json", ".py")
        for path in sorted(p for p in assignment.folder.iterdir() if p.is_file() and p.suffix in kept):
            _add(archive, f"solutions/{assignment.name}/{path.name}", path.read_text())
        _add(archive, f"assignments/{assignment.name}/{assignment.notebook}", assignment.release.read_text())
    return out


def _upload_hint() -> str:
    try:
        return UPLOAD_HINT.format(notebook=find().notebook)
    except LookupError:  # no assignment in this image: the hint must not cost the student their feedback
        return UPLOAD_HINT.format(notebook="the assignment's notebook")


def _add(archive: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


# -- requirements.txt ----------------------------------------------------------------------------

class ResolveError(RuntimeError):
    """pip could not resolve the requirements for a Python (no network, no wheel for it, ...)."""


@dataclass(frozen=True)
class Requirements:
    """requirements.txt for every Python from `oldest` on, and what to say about it."""

    pins: dict
    """{(major, minor): {name: version}}; the newest key also covers every newer Python."""
    oldest: tuple
    built_on: tuple
    problem: str = ""
    """Why the Pythons between GRADESCOPE_PYTHON and `oldest` are missing, when they are."""

    @property
    def needs(self) -> str:
        return f"Python {_dotted(self.oldest)} or newer"

    @property
    def hint(self) -> str:
        if self.oldest <= GRADESCOPE_PYTHON:
            return (f"On Gradescope, choose the {GRADESCOPE_IMAGE} in Configure Autograder (its python3 is "
                    f"Python {_dotted(GRADESCOPE_PYTHON)}).")
        return (f"On Gradescope, choose a base image whose python3 is Python {_dotted(self.oldest)} or newer (the "
                f"{GRADESCOPE_IMAGE} has Python {_dotted(GRADESCOPE_PYTHON)}), or build the zip again where PyPI "
                f"is reachable: it then also pins for Python {_dotted(GRADESCOPE_PYTHON)}.")

    @property
    def summary(self) -> str:
        """What the build says: which Python the zip needs, and which image has it."""
        pythons = [_dotted(v) for v in sorted(self.pins)]
        pythons[-1] += " or newer (as installed here)"
        text = (f"requirements.txt: pinned for Python {' and '.join(pythons)}; setup.sh refuses an older python3. "
                f"{self.hint}")
        if self.problem:
            text = (f"WARNING: no pins for Python {_dotted(GRADESCOPE_PYTHON)}, the python3 of Gradescope's "
                    f"{GRADESCOPE_IMAGE}: {self.problem}\n{text}")
        return text

    @property
    def text(self) -> str:
        lines = [f"# Written by `grade --gradescope-autograder` on Python {_dotted(self.built_on)}: what grading",
                 "# imports and its dependencies, pinned for each Python. For this Python and newer: the versions",
                 "# installed where the zip was built."]
        if len(self.pins) > 1:
            lines += [f"# For each older one, down to Python {_dotted(self.oldest)}: those pip resolved for it on PyPI",
                      "# (none newer than those installed, the same Ray)."]
        lines.append(f"# setup.sh refuses a python3 older than {_dotted(self.oldest)}.")
        newest = max(self.pins)
        for python in sorted(self.pins):
            marker = f'python_version {">=" if python == newest else "=="} "{_dotted(python)}"'
            lines += [f"{name}=={version} ; {marker}"
                      for name, version in sorted(self.pins[python].items(), key=lambda item: item[0].lower())]
        return "\n".join(lines) + "\n"

    def setup_sh(self) -> str:
        for value in (self.needs, self.hint):
            assert not set(value) & set('"$`\\'), value  # pasted into the script between double quotes
        return SETUP_SH % {"needs": self.needs, "hint": self.hint, "major": self.oldest[0], "minor": self.oldest[1]}


def requirements(roots=GRADING_NEEDS, *, resolve=None) -> Requirements:
    """The pins for this Python (as installed) and, resolved on PyPI, for each older one down to
    GRADESCOPE_PYTHON, newest first, stopping at the first that cannot be resolved (see the
    module's docstring). `resolve(python, installed, roots)` is resolve_pins unless given."""
    here = sys.version_info[:2]
    installed = installed_pins(roots)
    pins, problem = {here: installed}, ""
    for minor in range(here[1] - 1, GRADESCOPE_PYTHON[1] - 1, -1):
        python = (here[0], minor)
        try:
            pins[python] = (resolve or resolve_pins)(python, installed, roots)
        except ResolveError as error:
            problem = f"pip could not resolve them for Python {_dotted(python)}: {error}"
            break
    return Requirements(pins=pins, oldest=min(pins), built_on=here, problem=problem)


def installed_pins(roots=GRADING_NEEDS) -> dict[str, str]:
    """What grading imports, and its dependencies, at the versions installed here: {name: version}."""
    def installed(name):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None  # an optional dependency not installed here is not needed there either
        return dist.metadata["Name"], dist.version, dist.requires or ()

    found, _ = dependency_closure(roots, installed, default_environment())
    return found


def pinned_requirements(roots=GRADING_NEEDS) -> list[str]:
    """What grading imports, and its dependencies, at the versions installed here (`pkg==version`)."""
    return [f"{name}=={version}" for name, version in sorted(installed_pins(roots).items(),
                                                                key=lambda item: item[0].lower())]


def dependency_closure(roots, lookup, environment: dict) -> tuple[dict[str, str], list[Requirement]]:
    """({name: version} of `roots` and all they depend on where `environment` holds (markers and
    extras evaluated for it), [requirements that `lookup` cannot meet]). lookup(name) gives
    (name, version, requirement strings), or None when it has no such distribution."""
    found, missing, expanded = {}, [], set()
    todo = [(Requirement(r), ("",)) for r in roots]
    while todo:
        requirement, extras = todo.pop()
        if requirement.marker and not any(requirement.marker.evaluate({**environment, "extra": extra})
                                          for extra in extras):
            continue
        entry = lookup(requirement.name)
        if entry is None or not requirement.specifier.contains(entry[1], prereleases=True):
            missing.append(requirement)
            continue
        name, version, requires = entry
        found[name] = version
        wanted = ("", *sorted(requirement.extras))
        for extra in wanted:
            if (canonicalize_name(name), extra) in expanded:
                continue
            expanded.add((canonicalize_name(name), extra))
            todo += [(Requirement(r), (extra,)) for r in requires]
    return found, missing


def target_environment(python: tuple) -> dict:
    """PEP 508 marker values on Gradescope's image with this Python (Linux, x86_64, CPython)."""
    environment = default_environment()
    environment.update(python_version=_dotted(python), python_full_version=f"{_dotted(python)}.0",
                       implementation_name="cpython", platform_python_implementation="CPython",
                       implementation_version=f"{_dotted(python)}.0", os_name="posix", sys_platform="linux",
                       platform_system="Linux", platform_machine="x86_64")
    return environment


def resolve_pins(python: tuple, installed: dict[str, str], roots=GRADING_NEEDS, *,
                 timeout: float = RESOLVE_SECONDS) -> dict[str, str]:
    """{name: version} of `roots` and their dependencies for `python` on GRADESCOPE_PLATFORMS:
    `pip install --dry-run --python-version` against the package index this machine's pip uses,
    no version newer than `installed`, EXACT ones the same. pip evaluates the dependencies' markers
    for the Python running it, not the target, so the result is checked again for the target's
    markers, and what they add is resolved with the rest until nothing is missing."""
    environment = target_environment(python)
    wanted = [f"{r}=={installed[r]}" if r in EXACT and r in installed else r for r in roots]
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="gradescope-pins-") as folder:
        caps = Path(folder) / "caps.txt"
        caps.write_text("".join(f"{name}<={version}\n" for name, version in installed.items()))
        for _ in range(5):
            report = _pip_dry_run(python, wanted, caps, Path(folder) / "report.json", deadline - time.monotonic())
            chosen = {canonicalize_name(item["metadata"]["name"]): (item["metadata"]["name"],
                                                                    item["metadata"]["version"],
                                                                    item["metadata"].get("requires_dist", ()))
                      for item in report["install"]}
            found, missing = dependency_closure(roots, _lookup_in(chosen), environment)
            if not missing:
                return found
            wanted += [_without_marker(r) for r in missing]
    raise ResolveError(f"pip's resolution for Python {_dotted(python)} still misses "
                       f"{', '.join(sorted({r.name for r in missing}))}")


def _lookup_in(chosen: dict):
    return lambda name: chosen.get(canonicalize_name(name))


def _without_marker(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def _pip_dry_run(python: tuple, wanted: list[str], caps: Path, report: Path, seconds: float) -> dict:
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--timeout", "20", "--retries", "1", "--report", str(report),
               "--python-version", _dotted(python), "--implementation", "cp", "--only-binary=:all:",
               *(f"--platform={platform}" for platform in GRADESCOPE_PLATFORMS), "--constraint", str(caps), *wanted]
    if seconds <= 0:
        raise ResolveError("no time left to resolve")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        raise ResolveError(f"pip found no answer within {seconds:.0f} s (is PyPI reachable?)") from None
    if done.returncode != 0:
        said = [line.strip() for line in done.stderr.splitlines()
                if line.strip() and "is ignored: it is neither a file nor a directory" not in line]
        errors = [line for line in said if line.startswith("ERROR")] or said
        message = " ".join(errors[-2:])[:600] or f"pip exited with {done.returncode}"
        if any(sign in done.stderr for sign in UNREACHABLE):
            message = f"the package index did not answer (no network?); pip: {message}"
        raise ResolveError(message)
    return json.loads(report.read_text())


def _dotted(python: tuple) -> str:
    return ".".join(str(part) for part in python)


# -- one upload ----------------------------------------------------------------------------------

def root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


def run(*, hidden_visibility: str = HIDDEN_VISIBILITY, wall_seconds: float = WALL_SECONDS) -> dict:
    """Grade the upload in submission/ into results/results.json; the results written (with
    extra_data.grader_failure set when the grader failed: then nothing in them is a grade)."""
    started = time.monotonic()
    results = root() / "results" / "results.json"
    specs = all_specs()
    submission = submission_folder(root() / "submission", "student")
    if submission.problem:
        data = results_json(None, specs, hidden_visibility, time.monotonic() - started,
                            output=f"Nothing to grade: {submission.problem}. {_upload_hint()}")
        _write(results, data)
        return data
    _write(results, results_json([CheckResult.failed(s, NOT_YET) for s in specs], specs, hidden_visibility, 0.0,
                                 output="Grading started; no check has finished yet."))

    def partial(_submission, runs) -> None:
        done = set().union(*(progress(run).graded for run in runs))
        report = build_report(submission, specs, Observed(runs=tuple(runs)))
        if not report.graded:
            return  # the grader failed: the last results.json stays as it was, the final one says so
        checks = [c if c.id in done else CheckResult.failed(s, NOT_YET) for c, s in zip(report.checks, specs,
                                                                                          strict=True)]
        _write(results, results_json(checks, specs, hidden_visibility, time.monotonic() - started,
                                     output="Grading is still running; these are the checks graded so far."))

    report = grade_submissions([submission], wall_seconds=wall_seconds, on_partial=partial,
                               off_limits=[results.parent])[0]
    if not report.graded:
        data = failure_json(report.grader_failure, specs, hidden_visibility, time.monotonic() - started,
                            staff_log=report.staff_log)
    else:
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


def failure_json(reason: str, specs, hidden_visibility: str, seconds: float, *, staff_log: str = "") -> dict:
    """results.json when the grader failed: not a grade. Gradescope has no "not graded" state for
    a valid results.json, and an invalid one would hide this explanation behind its generic error,
    so: the top-level score is the 0 the format requires, and nothing else carries points (no test
    has a score or max_score: none shows "0 / 2"); the output and a first test, both visible,
    say that grading failed, that this is not a grade and that the instructor has been told; each
    check reads "Not graded: the grader failed: ..." (status failed, none passed); a last test that
    only course staff see (visibility hidden) and stdout hold the reason and the grader's log, and
    extra_data says graded: false. `python -m grader.gradescope` then exits 1."""
    message = GRADING_FAILED.format(reason=reason)
    tests = [{"name": "Grading failed: this upload was not graded", "number": "0", "status": "failed",
              "output": message, "output_format": "text", "visibility": "visible"}]
    for number, spec in enumerate(specs, 1):
        tests.append({"name": f"{spec.id}: {spec.name}", "number": str(number), "status": "failed",
                      "output": GRADER_FAILED.format(reason=reason), "output_format": "text",
                      "visibility": hidden_visibility if spec.visibility == HIDDEN else "visible"})
    tests.append({"name": "Grader failure (course staff only)", "number": str(len(specs) + 1), "status": "failed",
                  "output": f"The grader failed on this upload: {reason}. Nothing in these results is a grade; "
                            f"rerun the autograder on it once the cause is fixed.\n\n{staff_log}".strip(),
                  "output_format": "text", "visibility": "hidden"})
    return {"score": 0.0, "execution_time": round(seconds), "output": message, "output_format": "text",
            "stdout_visibility": "hidden", "visibility": "visible",
            "extra_data": {"graded": False, "grader_failure": reason}, "tests": tests}


def _summary(report: Report) -> str:
    lines = [f"{report.score:g} / {report.max_score:g} points."]
    if report.problem:
        lines.append(f"Your upload could not be graded: {report.problem}. {_upload_hint()}")
    lines += report.notes
    return "\n".join(lines)


def _write(path: Path, data: dict) -> None:
    """Atomically: Gradescope may stop us at any moment and must find a whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(data, indent=1))


def main(argv=None) -> int:
    """0 when the upload was graded (or had nothing to grade); 1 when the grader failed: results.json
    then says so, and stdout (which Gradescope shows to course staff only) has the reason and log."""
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope",
                                     description="Grade $AUTOGRADER_ROOT/submission into results/results.json.")
    parser.add_argument("--hidden-visibility", default=HIDDEN_VISIBILITY,
                        choices=("hidden", "after_due_date", "after_published", "visible"))
    parser.add_argument("--timeout", type=float, default=WALL_SECONDS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        data = run(hidden_visibility=args.hidden_visibility, wall_seconds=args.timeout)
    except Exception as error:  # still a valid results.json: the student must never see a blank result
        reason = f"the grader crashed ({type(error).__name__})"
        try:
            specs = all_specs()
        except Exception:  # the rubric itself cannot be read: the failure is then all results.json can say
            specs = []
        _write(root() / "results" / "results.json", failure_json(
            reason, specs, args.hidden_visibility, time.monotonic() - started, staff_log=traceback.format_exc()))
        print(f"GRADER FAILURE, not a grade: {reason}; results.json says so.", flush=True)
        raise
    failure = data.get("extra_data", {}).get("grader_failure")
    if failure:
        print(f"GRADER FAILURE, not a grade: {failure}. results.json says so; rerun the autograder once the "
              f"cause is fixed.\n\n{data['tests'][-1]['output']}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
