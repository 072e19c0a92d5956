"""`grade ... --cluster ADDRESS`: a class graded on an existing Ray cluster.

Each submission is one Ray task that grades it on whichever node runs it, exactly as on one
machine there (grader.runtime.isolation: its own private Ray runtime, limits, sandbox, guard).
The submission's file travels as the task's argument and the report comes back as its result, so
no shared file system is needed; the instructor's side saves, records and prints each report as
on a local run (grader.grading), as soon as it is done. A submission with nothing to grade (a
folder without a notebook) never comes here: grader.grading reports it on the instructor's machine.

A node lost mid-batch: Ray runs the task again on another node (a system failure, retried up to
RETRIES times), so every submission gets one report; what the lost node's grading left running
ends with it (the sandbox's processes die with their parent) or is removed by the next task there
(grader.runtime.leftovers.sweep, which every task runs first).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from grader import __version__
from grader.records import Report, Submission
from grader.assignment import Assignment, find
from grader.runtime.isolation import grade_isolated
from grader.runtime.leftovers import sweep
from grader.runtime.limits import Limits
from grader.runtime.off_limits import for_submission
from grader.runtime.owned import owned_name

CONNECT_SECONDS = 5.0
NODE_CHECK_SECONDS = 120.0
RETRIES = 3
"""Times a submission's task is run again after its node was lost."""


class ClusterError(RuntimeError):
    """The cluster cannot grade: unreachable, or a node without what grading needs. The message
    says what to do."""


def connect(address: str) -> None:
    """Join the cluster at `address` (host:port of its head) as this run's driver, within seconds
    or with a clear error. The cluster's own settings (its auth mode and token, from this
    process's environment as for any driver) are used as they are."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--cluster {address!r}: give the head's address as HOST:PORT "
                           "(the port `ray start --head` printed, 6379 by default).")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS):
            pass
    except OSError as error:
        raise ClusterError(f"--cluster {address}: no Ray head answers there ({error}); start one with "
                           f"`ray start --head --port={port}` on {host}, or check the address.") from error
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as error:  # Ray's own errors name the cause; ours says where
        raise ClusterError(f"--cluster {address}: could not join the Ray cluster there: {error}") from error


def node_facts() -> dict:
    """What a node has for grading (run on each node at the start of a run). The grading there
    starts processes of the node's own Python, in the node's sandbox, which see neither this
    driver's sys.path (as Ray's workers do) nor folders outside the sandbox's view: so such a
    process is asked whether it can import the grader and Ray."""
    from grader.runtime.cluster import grading_environment
    from grader.runtime.sandbox import NAMESPACES, Sandbox, protection

    mode, protected = protection()
    with tempfile.TemporaryDirectory(prefix=owned_name()) as home, \
            Sandbox([], [Path(home)], enabled=mode == NAMESPACES) as box:
        command = box.wrap([sys.executable, "-c", "import grader, ray; print(grader.__version__)"])
        asked = subprocess.run(command, capture_output=True, text=True, timeout=NODE_CHECK_SECONDS,
                               env={**grading_environment(), **box.environment})
    missing = "" if asked.returncode == 0 else _first_line(RuntimeError(asked.stderr or asked.stdout))
    return {"python": platform.python_version(), "ray": ray.__version__,
            "grader": asked.stdout.strip() if not missing else "", "missing": missing,
            "executable": sys.executable, "protection": protected}


def check_nodes() -> list[str]:
    """One line per alive node: what it has; raises ClusterError naming every node that lacks
    the grader, or has another Python, Ray or grader version than this machine."""
    here = {"python": platform.python_version(), "ray": ray.__version__, "grader": __version__}
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    facts = ray.remote(num_cpus=0)(node_facts)
    asked = {n["NodeID"]: facts.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
                                        max_retries=0).remote() for n in nodes}
    lines, problems = [], []
    install = f"install the same grader there (pip install actor-tree-grader=={__version__}"
    for node in nodes:
        where = f"node {node.get('NodeManagerAddress', '?')} ({node['NodeID'][:8]})"
        try:
            found = ray.get(asked[node["NodeID"]], timeout=NODE_CHECK_SECONDS)
        except Exception as error:  # typically ModuleNotFoundError: the grader is not installed there
            problems.append(f"{where}: cannot run the grader ({_first_line(error)}); {install}, Python "
                            f"{here['python']}, Ray {here['ray']}).")
            continue
        if found["missing"]:
            problems.append(f"{where}: its Python ({found['executable']}) cannot run the grader "
                            f"({found['missing']}); {install}).")
            continue
        other = [f"{key} {found[key]} (here {value})" for key, value in here.items()
                 if _same_release(key, found[key]) != _same_release(key, value)]
        if other:
            problems.append(f"{where}: {', '.join(other)}; install the same versions on every node.")
        lines.append(f"{where}: {found['protection']}")
    if problems:
        raise ClusterError("some nodes cannot grade:\n  " + "\n  ".join(problems))
    return lines


def remote_grader(cpus: int, limits: Limits):
    """A function that grades one submission as a task on the cluster, with the signature of
    grader.runtime.isolation.grade_isolated (minus on_partial: partial views stay on the node)."""
    task = ray.remote(grade_on_node).options(num_cpus=cpus, memory=limits.memory_mb * 2**20, max_retries=RETRIES,
                                             retry_exceptions=False)

    def grade(submission: Submission, *, wall_seconds: float, only, limits: Limits, guard=None,
              on_partial=None, assignment: Assignment | None = None) -> Report:
        content = Path(submission.path).read_bytes()
        name = assignment.name if assignment else None  # the nodes have the same release installed
        return ray.get(task.remote(submission, content, wall_seconds, tuple(only), limits, name))

    return grade


def grade_on_node(submission: Submission, content: bytes, wall_seconds: float, only: tuple[str, ...],
                  limits: Limits, assignment: str | None = None) -> Report:
    """Runs on a node: the submission's file written to a folder of this task's own, graded there."""
    sweep()  # what a grading on this node left when its node or worker was lost
    folder = Path(tempfile.mkdtemp(prefix=owned_name()))
    try:
        path = folder / Path(submission.path).name
        path.write_bytes(content)
        here = dataclasses.replace(submission, path=str(path))
        graded_as = find(assignment)
        report = grade_isolated(here, wall_seconds=wall_seconds, only=only, limits=limits,
                                guard=for_submission(here, [here], graded_as), assignment=graded_as)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not _node_alive():
        # This node was lost while grading: what was seen here may be its dying, not the student's
        # code. End the worker so that Ray grades the submission again on another node.
        os._exit(1)
    return report


def _node_alive() -> bool:
    """Whether this worker's raylet (the node) still runs."""
    raylet = os.environ.get("RAY_RAYLET_PID", "")
    return not raylet.isdigit() or psutil.pid_exists(int(raylet))


def _same_release(key: str, version: str) -> str:
    return ".".join(version.split(".")[:2]) if key == "python" else version


def _first_line(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    found = next((line for line in reversed(lines) if "Error" in line), lines[-1] if lines else type(error).__name__)
    return found.strip()[:300]
