"""A real multi-node Ray cluster made on this machine for tests and benchmarks of `grade --cluster`
(tests/test_on_cluster.py, bench/cluster_overhead.py): `ray start` processes, a head and nodes
each with resources and a temp dir of their own, all in a loopback-only network namespace
(tests/loopback_only.py) and with Ray's token authentication like a real cluster's."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from grader.runtime.cluster import free_port
from loopback_only import LoopbackOnly

START_SECONDS = 120


class OuterCluster:
    """Used as a context manager; every process it started is stopped by pid on the way out
    (never `ray stop`). Each node's output goes to NAME.log in `logs`."""

    def __init__(self, logs: Path, network: LoopbackOnly):
        self.logs = logs
        self.network = network
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    "RAY_USAGE_STATS_ENABLED": "0"}
        self.env.pop("RAY_ADDRESS", None)
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> "OuterCluster":
        # Short temp dirs of its own per node: Ray's socket paths must stay under 108 bytes.
        self.temp = Path(tempfile.mkdtemp(prefix="outer-", dir="/tmp"))
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.temp, ignore_errors=True)

    def start_head(self, cpus: int) -> None:
        self._start("head", "--head", f"--port={self.port}", f"--num-cpus={cpus}", "--include-dashboard=false")

    def add_node(self, name: str, cpus: int, python: str = sys.executable) -> None:
        self._start(name, f"--address={self.address}", f"--num-cpus={cpus}", python=python)

    def wait_for(self, nodes: int) -> None:
        """Until `nodes` nodes are alive; the log of the last one started if they never are."""
        deadline = time.monotonic() + START_SECONDS
        while self.node_count() < nodes:
            last = list(self.processes)[-1]
            assert time.monotonic() < deadline, (self.logs / f"{last}.log").read_text()[-2000:]
            time.sleep(1)

    def _start(self, name: str, *args: str, python: str = sys.executable) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        command = [python, "-m", "ray.scripts.scripts", "start", "--block", "--disable-usage-stats",
                   "--node-ip-address=127.0.0.1", "--include-log-monitor=false", f"--temp-dir={self.temp / name}",
                   *args]
        self.processes[name] = subprocess.Popen(self.network.enter(command), stdout=log, stderr=subprocess.STDOUT,
                                                env=self.env, start_new_session=True, stdin=subprocess.DEVNULL)
        log.close()

    def node_count(self) -> int:
        """Alive nodes, asked of the GCS by a short-lived driver."""
        code = ("import ray, logging; ray.init(address=%r, logging_level=logging.ERROR); "
                "print(sum(1 for n in ray.nodes() if n['Alive']))" % self.address)
        done = subprocess.run(self.network.enter([sys.executable, "-c", code]), env=self.env, capture_output=True,
                              text=True, timeout=120)
        return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else 0

    def kill(self, name: str) -> None:
        """The node's `ray start`, its raylet and the raylet's agents, SIGKILLed: a node lost, no
        grace. Its workers, and the grading runtimes they started, are left to die of that, as on
        a machine that is gone (killing them here would be the test doing the cleaning)."""
        top = psutil.Process(self.processes[name].pid)
        raylets = [p for p in top.children() if process_name(p) == "raylet"]
        agents = [p for r in raylets for p in r.children() if "Agent" in process_name(p)]
        for proc in [top, *raylets, *agents]:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                for proc in psutil.Process(process.pid).children(recursive=True):
                    proc.kill()
            except psutil.Error:
                pass
            process.kill()
            process.wait(10)


def process_name(proc: psutil.Process) -> str:
    """Its name, or "" once it has ended: Ray's workers come and go."""
    try:
        return proc.name()
    except psutil.Error:
        return ""
