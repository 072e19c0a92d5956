"""One verdict wherever it runs: the checks run in a student's kernel, on whatever Ray session the
notebook started, judge every check as `grade` does on its own runtime.

Three real kernels, each with its Ray session started as a student might (one CPU, two CPUs, both
with Ray's default of forwarding worker output to the notebook; and the Setup cell's own settings),
run the rubric (as the autograder cells do) on the reference and on corpus submissions: correct
alternatives and single bugs, each in one of the sessions. Every check's verdict must equal the
verdict `grade` gave the same file in the corpus batch, and nothing may reach the kernel's stderr
while or after the checks run.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import checks_it_can_affect, override_files
from grader.checks import all_specs
from grader.course_notebooks import notebook_code
from grader.demo import compose
from grader.runtime import STARTUP_DIR
from conftest import ACTOR_TREE


SESSIONS = {
    "num_cpus=1": 'ray.init(address="local", num_cpus=1)',
    "num_cpus=2": 'ray.init(address="local", num_cpus=2)',
    "setup cell": 'ray.init(address="local", num_cpus=4, logging_level=logging.ERROR, log_to_driver=False)',
}
CPU_HUNGRY = "cpu-hungry-worker"
"""The reference with Worker declared num_cpus=1: a one-CPU session cannot hold its workers."""
EVERYWHERE = ("reference-notebook",)
LAST_EVERYWHERE = ("alt_seed_preamble",)  # the seed's ray.shutdown() + plain ray.init(): it replaces the session
IN_ONE_SESSION = {
    # Each correct alternative and each single bug runs in one session, not in all three (a third of
    # the Ray work); the chatty logger runs in both sessions that forward worker output.
    "num_cpus=1": ("alt_chatty_logger",   # correct, and its actor prints on stderr
                   "blocking_work",       # one bug: supervisor.work_nonblocking
                   CPU_HUNGRY),
    "num_cpus=2": ("alt_chatty_logger",
                   "alt_polling_run_experiments",  # correct: waits by polling get_logs
                   "sequential_experiments"),      # one bug: logging.parallel
    "setup cell": ("alt_threaded_worker_with_lock",),  # correct: a threaded Worker
}
STUDENTS_OF = {label: (*EVERYWHERE, *IN_ONE_SESSION[label], *LAST_EVERYWHERE) for label in SESSIONS}
STUDENTS = tuple(dict.fromkeys(s for students in STUDENTS_OF.values() for s in students if s != CPU_HUNGRY))
pytestmark = [pytest.mark.slow, pytest.mark.ray, pytest.mark.students(*STUDENTS)]
RUN_CHECKS = """
import json as _json, time as _time
from grader.notebook import run_checks_here as _run_checks_here
_results, _notes = _run_checks_here(_namespace, only={only!r})
print("RESULTS" + _json.dumps({{r.id: [r.status, r.feedback] for r in _results}}) + "NOTES" + _json.dumps(_notes))
"""


def _source(student: str) -> tuple[str, tuple[str, ...]]:
    """(the code `grade` graded for this student, the checks it graded)."""
    reference = notebook_code(ACTOR_TREE.source)
    if student == "reference-notebook":
        return reference, ()
    if student == CPU_HUNGRY:
        hungry = reference.replace("@ray.remote(max_concurrency=2)", "@ray.remote(num_cpus=1, max_concurrency=2)", 1)
        assert hungry != reference
        return hungry, tuple(s.id for s in all_specs(ACTOR_TREE) if s.id.startswith("supervisor."))
    override = next(p for p in override_files() if p.stem == student).read_text()
    return compose(reference, override), checks_it_can_affect(override)


class Kernel:
    """A real IPython kernel, as JupyterLab starts one, with its own Ray temp dir."""

    def __init__(self, ray_tmp: str):
        env = dict(os.environ, PYTHONPATH=str(STARTUP_DIR), RAY_TMPDIR=ray_tmp)
        for name in ("ACTOR_TREE_GRADING", "NBGRADER_EXECUTION", "RAY_ADDRESS"):
            env.pop(name, None)
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env, cwd=ray_tmp)

    def run(self, code: str) -> list[tuple[str, str]]:
        """[(stream name or "error", text)] of what the cell printed."""
        out = []

        def hook(message):
            if message["msg_type"] == "stream":
                out.append((message["content"]["name"], message["content"]["text"]))
            elif message["msg_type"] == "error":
                out.append(("error", "\n".join(message["content"]["traceback"])))

        self.client.execute_interactive(code, timeout=900, output_hook=hook)
        return out

    def close(self):
        self.manager.shutdown_kernel(now=True)


def _grade_in_kernel(start_ray: str, students: tuple[str, ...]) -> dict:
    """{student: (verdicts, notes, stderr of the checking cells)} from one kernel."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="ks-", dir="/tmp") as ray_tmp:  # Ray's socket paths stay short
        kernel = Kernel(ray_tmp)
        try:
            started = kernel.run(f"import logging, ray\n{start_ray}")
            assert not [t for n, t in started if n == "error"], started
            for student in students:
                source, only = _source(student)
                path = os.path.join(ray_tmp, f"{student}.py")
                with open(path, "w") as handle:
                    handle.write(source)
                loaded = kernel.run(f'_namespace = {{"__name__": "__main__"}}\n'
                                    f'exec(compile(open({path!r}).read(), {path!r}, "exec"), _namespace)')
                assert not [t for n, t in loaded if n == "error"], (student, loaded)
                checked = kernel.run(RUN_CHECKS.format(only=only))
                # Worker output still in flight after the checks would land here, in the next cell.
                later = kernel.run("_time.sleep(4)")  # longer than the hold-back: what comes after shows
                printed = "".join(t for n, t in checked if n == "stdout")
                assert "RESULTS" in printed, (student, checked)
                verdicts, notes = printed.split("RESULTS", 1)[1].split("NOTES", 1)
                stderr = [t for n, t in checked + later if n in ("stderr", "error")]
                found[student] = (json.loads(verdicts), json.loads(notes), stderr)
        finally:
            kernel.close()
    return found


@pytest.fixture(scope="module")
def kernel_verdicts():
    """Each session's kernel in its own thread: the three run side by side, as a class's would."""
    found, errors = {}, {}

    def run(label, start_ray):
        try:
            found[label] = _grade_in_kernel(start_ray, STUDENTS_OF[label])
        except BaseException as error:  # reported by the test, with the session it happened in
            errors[label] = repr(error)

    threads = [threading.Thread(target=run, args=item) for item in SESSIONS.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return found


@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_every_verdict_in_a_kernel_equals_grade(graded, kernel_verdicts, session):
    differences = []
    for student in (s for s in STUDENTS_OF[session] if s != CPU_HUNGRY):
        by_grade = {c.id: c.status for c in graded[student].checks}
        verdicts, notes, _ = kernel_verdicts[session][student]
        assert set(verdicts) == set(by_grade), (student, sorted(verdicts), sorted(by_grade))
        differences += [f"{student} {check}: kernel {verdicts[check]}, grade {by_grade[check]} (notes: {notes})"
                        for check in by_grade if verdicts[check][0] != by_grade[check]]
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_nothing_reaches_the_kernels_stderr(kernel_verdicts, session):
    for student in STUDENTS_OF[session]:
        _, _, stderr = kernel_verdicts[session][student]
        assert not stderr, (student, "".join(stderr)[:2000])


def test_a_session_too_small_for_the_students_actors_says_so_and_blames_nothing(kernel_verdicts):
    verdicts, notes, _ = kernel_verdicts["num_cpus=1"][CPU_HUNGRY]
    failed = {check: feedback for check, (status, feedback) in verdicts.items() if status != "passed"}
    assert failed, verdicts  # two workers holding a CPU each cannot both train on one CPU
    for check, feedback in failed.items():
        assert feedback.startswith("Not judged in this Ray session: Ray could not start Worker"), (check, feedback)
        assert "Worker is declared with num_cpus=1" in feedback and "Setup cell" in feedback, feedback
