"""A grading head listens on the machine's network interfaces (Ray's choice), so it takes only
drivers that hold that submission's own token: one without it, or with another's, is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.runtime.cluster import RayHead, grading_environment

pytestmark = pytest.mark.ray
CONNECT = ("import logging, ray; ray.init(address={address!r}, logging_level=logging.ERROR); "
           "print('joined', ray.get(ray.remote(lambda: 6 * 7).remote(), timeout=60))")


def _driver(address: str, auth: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in grading_environment().items() if not k.startswith("RAY_AUTH")}
    return subprocess.run([sys.executable, "-c", CONNECT.format(address=address)], env={**env, **auth},
                          capture_output=True, text=True, timeout=120)


def test_only_a_driver_with_the_submissions_token_joins_its_head():
    with tempfile.TemporaryDirectory(prefix="grade-auth-", dir="/tmp") as workdir, RayHead(Path(workdir)) as head:
        assert head.auth_env["RAY_AUTH_MODE"] == "token" and len(head.auth_env["RAY_AUTH_TOKEN"]) == 64
        assert "joined 42" in _driver(head.address, head.auth_env).stdout
        for auth in ({"RAY_AUTH_MODE": "disabled"}, {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": os.urandom(32).hex()}):
            outsider = _driver(head.address, auth)
            assert outsider.returncode != 0 and "joined" not in outsider.stdout, (auth["RAY_AUTH_MODE"], outsider)
