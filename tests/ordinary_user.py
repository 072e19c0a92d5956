"""Run a command as an ordinary user, as most instructors are. As root (CI), a dedicated user
is created once (`grade-tester`) and given what it needs to reach the test run's Python and this
checkout: the right to pass through (x) the folders above them that others may not (an ACL for
that user alone, e.g. on /root where pyenv lives). As an ordinary user already, commands run as
that user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "grade-tester"
REPO = Path(__file__).resolve().parents[1]


class Unavailable(RuntimeError):
    """No ordinary user can be had here (the message says why)."""


def account() -> pwd.struct_passwd:
    """The ordinary user the commands run as; as root, made and given passage first."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        user = pwd.getpwnam(USER)
    except KeyError:
        if not shutil.which("useradd"):
            raise Unavailable("no useradd to create an ordinary user") from None
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], check=True, capture_output=True)
        user = pwd.getpwnam(USER)
    for target in (Path(os.path.realpath(sys.executable)), Path(sys.prefix), REPO):
        _let_through(user, target)
    return user


def _let_through(user: pwd.struct_passwd, target: Path) -> None:
    for folder in [*reversed(target.parents), *([target] if target.is_dir() else [])]:
        mode = folder.stat().st_mode
        if mode & 0o001:
            continue
        if not shutil.which("setfacl"):
            raise Unavailable(f"{folder} is closed to other users and there is no setfacl (Debian's acl) to let "
                              f"{user.pw_name} through")
        subprocess.run(["setfacl", "-m", f"u:{user.pw_name}:x", str(folder)], check=True, capture_output=True)


def scratch(user: pwd.struct_passwd) -> Path:
    """A folder of the user's own (test folders under /tmp/pytest-of-root are closed to them)."""
    folder = Path(tempfile.mkdtemp(prefix="grade-tester-"))
    os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


def run(user: pwd.struct_passwd, command: list[str], *, cwd: Path, env: dict | None = None,
        timeout: float = 900) -> subprocess.CompletedProcess:
    """`command` as `user`, with this test run's Python first on PATH and the user's own HOME."""
    environment = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin:/usr/sbin:/sbin",
                   "HOME": user.pw_dir, "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1", **(env or {})}
    if os.geteuid() == 0:
        command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--", *command]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)
