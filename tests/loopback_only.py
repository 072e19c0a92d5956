"""A network namespace with only loopback, for a test Ray cluster and the `grade` that joins it
(tests/test_on_cluster.py, bench/cluster_overhead.py): Ray swaps 127.0.0.1 for the machine's
network address, and tests send traffic to loopback only. One bubblewrap holder keeps the
namespace; `enter(command)` runs a command inside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

START_SECONDS = 30


class NoLoopbackNamespace(OSError):
    """This machine cannot make the namespace (no bubblewrap, or namespaces refused)."""


class LoopbackOnly:
    def __enter__(self) -> "LoopbackOnly":
        if shutil.which("bwrap") is None:
            raise NoLoopbackNamespace("needs bubblewrap (a network namespace keeps the test cluster on loopback)")
        read_info, write_info = os.pipe()
        try:
            # bubblewrap's info line names the pid of the namespace's first process; waiting for its
            # children to appear instead raced with the shell's exec and failed once in CI.
            self.holder = subprocess.Popen(
                ["bwrap", "--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--unshare-net", "--die-with-parent",
                 "--info-fd", str(write_info), "--", "sh", "-c", "echo ready && exec sleep infinity"],
                pass_fds=(write_info,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.close(write_info)
        with os.fdopen(read_info, "rb") as info:
            text = info.read()  # until bubblewrap closes it: after the line, or at once if it failed
        try:
            self.inside = int(json.loads(text)["child-pid"])
            if self.holder.stdout.readline().strip() != b"ready":
                raise ValueError("its first process did not start")
        except (ValueError, KeyError) as error:
            self.holder.kill()
            _, err = self.holder.communicate(timeout=START_SECONDS)
            raise NoLoopbackNamespace(f"no network namespace here ({error}): {err.decode(errors='replace')[-300:]}") \
                from error
        return self

    def enter(self, command: list[str]) -> list[str]:
        return ["nsenter", f"--net=/proc/{self.inside}/ns/net", "--", *command]

    def __exit__(self, *exc) -> None:
        self.holder.kill()
        self.holder.communicate(timeout=START_SECONDS)  # waits, and closes its pipes
