"""`grade --cluster`: a class graded on a real multi-node Ray cluster made here (a head that runs
nothing and two nodes of 2 CPUs, each a `ray start` of its own, all on loopback, with Ray's token
authentication like a real cluster's), one node removed without grace once the first report is
saved. Every submission still gets exactly one report with its expected verdict, and nothing of
the grading is left running. Also: a wrong address fails within seconds, clearly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import psutil
import pytest

from conftest import collected_submission, ray_processes_of_grader, saved_reports
from loopback_only import LoopbackOnly, NoLoopbackNamespace
from outer_cluster import OuterCluster, process_name
from grader.demo import build_class, expected_failures
from grader.runtime.cluster import free_port
from grader.runtime.leftovers import sweep
from grader.runtime.owned import processes_naming
from conftest import ACTOR_TREE

pytestmark = [pytest.mark.slow, pytest.mark.ray]
MISTAKES_GRADED = ("blocking_work", "sequential_experiments")


@pytest.fixture
def network():
    with ExitStack() as stack:
        try:
            only_loopback = stack.enter_context(LoopbackOnly())
        except NoLoopbackNamespace as missing:
            pytest.skip(str(missing))
        yield only_loopback


@pytest.fixture
def cluster(tmp_path, network):
    with OuterCluster(tmp_path, network) as outer:
        outer.start_head(cpus=0)  # a head that runs nothing, as on a real cluster
        for node in ("node-a", "node-b"):
            outer.add_node(node, cpus=2)
        outer.wait_for(3)
        yield outer


def _grading_node(cluster: OuterCluster) -> str | None:
    """A node whose workers are grading a submission right now (a grade-<pid>- process under it)."""
    for name in ("node-a", "node-b"):
        try:
            below = psutil.Process(cluster.processes[name].pid).children(recursive=True)
        except psutil.Error:
            continue
        if any("/grade-" in _command_line(p) for p in below if "ray" in process_name(p)):
            return name
    return None


def _command_line(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:  # ended, or a zombie, since it was listed: Ray's workers come and go
        return ""


def test_a_class_on_a_cluster_survives_a_lost_node_with_one_report_each(cluster, tmp_path):
    mistakes = [ACTOR_TREE.mistakes / f"{name}.py" for name in MISTAKES_GRADED]
    klass = build_class(tmp_path / "class", mistakes=mistakes, assignment=ACTOR_TREE)
    expected = {"reference": set(), "untouched-stub": None}
    expected |= {m.stem.replace("_", "-"): expected_failures(m.read_text()) for m in mistakes}
    results = tmp_path / "results"
    command = ["grade", str(klass), "--cluster", cluster.address, "--results", str(results), "--json"]
    grading = subprocess.Popen(cluster.network.enter(command), env=cluster.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    lost = None
    deadline = time.monotonic() + 600
    while grading.poll() is None and lost is None:
        assert time.monotonic() < deadline, "the class was not graded within 10 minutes"
        if results.is_dir() and saved_reports(results):
            lost = _grading_node(cluster)
            if lost:
                cluster.kill(lost)
        time.sleep(0.5)
    out, err = grading.communicate(timeout=900)
    assert grading.returncode == 0, err[-3000:]
    assert lost, f"no node was grading when the first report was saved: nothing was lost\n{err[-2000:]}"
    reports = json.loads(out)["submissions"]
    assert sorted(r["student"] for r in reports) == sorted(expected), [r["student"] for r in reports]
    for report in reports:
        failed = {c["id"] for c in report["checks"] if c["status"] != "passed"}
        if expected[report["student"]] is None:
            assert report["score"] == 0, report
        else:
            assert failed == expected[report["student"]], (report["student"], failed, report["checks"][0]["feedback"],
                                                           report.get("flags"))
    assert sorted(p.stem for p in saved_reports(results)) == sorted(expected)
    assert "node 127.0.0.1" in err and "sandbox" in err, err[-2000:]  # each node checked, its protection said
    # What the lost node's grading left: nothing running (the sandbox dies with its parent); any
    # folder or control group is removed by the next grading run there (the sweep every task runs).
    deadline = time.monotonic() + 30
    while ray_processes_of_grader() and time.monotonic() < deadline:
        time.sleep(1)
    left = [p.info["cmdline"] for p in processes_naming("/grade-") if "bwrap" not in " ".join(p.info["cmdline"])]
    sweep()
    deadline = time.monotonic() + 10  # what the sweep killed takes a moment to be gone
    while ray_processes_of_grader() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ray_processes_of_grader() == [], left


def test_a_node_without_the_grader_is_named_before_anything_is_graded(tmp_path, network):
    # The node runs a Python environment with Ray (the same packages, through a .pth) but without
    # the grader: like a node where nobody installed it.
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    packages = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p, "ray").is_dir())
    bare_packages = next(bare.glob("lib/python*/site-packages"))
    (bare_packages / "ray-only.pth").write_text(f"{packages}\n")
    with OuterCluster(tmp_path, network) as outer:
        outer.start_head(cpus=0)
        outer.add_node("bad-node", cpus=2, python=str(bare / "bin" / "python"))
        outer.wait_for(2)
        klass = build_class(tmp_path / "class", mistakes=[], assignment=ACTOR_TREE)
        done = subprocess.run(network.enter(["grade", str(klass), "--cluster", outer.address, "--results",
                                             str(tmp_path / "results")]),
                              env=outer.env, capture_output=True, text=True, timeout=300)
    saved = [json.loads(p.read_text()).get("staff_log", "")[-1500:] for p in (tmp_path / "results").glob("*.json")]
    assert done.returncode == 2, (done.stderr[-2000:], saved)
    assert "some nodes cannot grade" in done.stderr and "cannot run the grader" in done.stderr, done.stderr[-2000:]
    assert str(bare) in done.stderr and "No module named 'grader'" in done.stderr, done.stderr[-2000:]
    assert "install the same grader there" in done.stderr
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").glob("*.json"))


@pytest.mark.nbgrader
def test_an_nbgrader_course_is_graded_on_the_cluster_into_its_gradebook(tmp_path, network):
    """`grade --nbgrader actor_tree --cluster ADDRESS` in a course made by `grade --new-course`:
    the solved notebook, the untouched one and a folder without a notebook are graded on a one-node
    cluster and recorded in the gradebook, with feedback, as in a local run."""
    root = tmp_path / "course"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for command, folder in ((["grade", "--new-course", str(root)], tmp_path),
                            (["nbgrader", "generate_assignment", "actor_tree"], root)):
        made = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, (command, made.stdout[-2000:], made.stderr[-3000:])
    collected_submission(root, "alice", solved=True)
    collected_submission(root, "bob", solved=False)
    (root / "submitted" / "carol" / "actor_tree").mkdir(parents=True)
    with OuterCluster(tmp_path, network) as outer:
        outer.start_head(cpus=2)
        outer.wait_for(1)
        done = subprocess.run(network.enter(["grade", "--nbgrader", "actor_tree", "--cluster", outer.address]),
                              cwd=root, env={**outer.env, "PATH": env["PATH"]}, capture_output=True, text=True,
                              timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        scores = {s.student.id: s.score for s in book.assignment_submissions("actor_tree")}
    assert scores == {"alice": 20, "bob": 0, "carol": 0}, (scores, done.stderr[-2000:])
    carol = json.loads((root / "grade_results" / "actor_tree" / "carol.json").read_text())["report"]
    assert "holds no notebook" in carol["problem"], carol
    for student in scores:
        assert (root / "feedback" / student / "actor_tree" / "actor_tree.html").is_file(), student


def test_a_wrong_address_fails_within_seconds_saying_what_to_do(tmp_path):
    shutil.copyfile(ACTOR_TREE.release, tmp_path / ACTOR_TREE.notebook)  # a class to grade: the address is the fault
    started = time.monotonic()
    done = subprocess.run(["grade", str(tmp_path), "--cluster", f"127.0.0.1:{free_port()}"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "no Ray head answers there" in done.stderr and "ray start --head" in done.stderr, done.stderr
    assert time.monotonic() - started < 15
