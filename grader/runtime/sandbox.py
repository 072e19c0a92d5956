"""A sandbox per submission: its Ray head, the head's workers and the grading process run in
namespaces of their own, made by bubblewrap.

- network: a namespace with only loopback. Ray listens on nothing reachable from outside, and the
  code being graded has no network.
- processes: a PID namespace. The code sees its own processes only (no other student's grading
  process, no path in another command line); when the sandbox ends, the kernel kills everything
  left in it, a detached background process included.
- files: a mount view of what grading needs and nothing more: the system's programs and
  libraries, Python and its packages, the grader's own package, the submission's file, Ray's temp
  dir, a home and temp folder of its own and the scratch folders (the only writable places, with
  /dev/shm for Ray's object store); the rest of the view is read-only. Home folders,
  other students' work, the solutions, the results and the course folders are not there at all:
  what is not mounted cannot be quoted back in feedback.
- privileges: every process of the run starts with no capability (setpriv), so root in the
  sandbox cannot mount, make devices or enter other namespaces.

How: one holder process (`bwrap ... sleep`) owns the namespaces; each process of the run is
started inside them by `nsenter`, from the grader, so the parent keeps what it had: Popen, the
control group (preexec_fn runs before nsenter), pids it can watch and kill, pipes and the journal
descriptor. Why bubblewrap: it is the tool made for building an unprivileged mount view from bind
mounts (Flatpak's), small, in Debian; plain `unshare` would need that view built by hand.

Where bubblewrap is missing or namespaces cannot be made (no root and no user namespaces), the
run falls back to Ray's token authentication alone (grader.runtime.cluster), and says so.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import grader

ETC_FILES = ("passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
             "localtime", "ssl", "ca-certificates", "mime.types", "os-release")
"""What of /etc a Python process reads (users, libraries, certificates), without the rest of it
(/etc/shadow, keys, the machine's configuration)."""
TOP_LEVEL_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

NAMESPACES = "namespaces"
TOKEN_ONLY = "token"


@functools.lru_cache(maxsize=1)
def protection() -> tuple[str, str]:
    """(mode, a sentence for the staff log and `grade --help`): namespaces where bubblewrap can
    make them on this machine, else Ray's token authentication only."""
    if os.environ.get("ACTOR_TREE_SANDBOX", "") == "off":
        return TOKEN_ONLY, "sandbox: off (ACTOR_TREE_SANDBOX=off); Ray token authentication only"
    bwrap, nsenter, setpriv = (shutil.which(tool) for tool in ("bwrap", "nsenter", "setpriv"))
    if not (bwrap and nsenter and setpriv):
        missing = [name for name, path in (("bubblewrap", bwrap), ("nsenter", nsenter), ("setpriv", setpriv))
                   if not path]
        return TOKEN_ONLY, (f"sandbox: none ({', '.join(missing)} not found: install Debian's bubblewrap and "
                            "util-linux for namespaces); Ray token authentication only")
    # The probe is the real thing: a sandbox made and entered as each submission's will be (an
    # ordinary user's bubblewrap makes a user namespace that must be entered first; only trying tells).
    try:
        with tempfile.TemporaryDirectory(prefix="grader-sandbox-probe-") as home:
            with Sandbox([], [Path(home)]) as box:
                entered = subprocess.run(box.wrap(["true"]), capture_output=True, text=True, timeout=60)
            if entered.returncode != 0:
                raise SandboxError((entered.stderr.strip().splitlines() or [f"exit {entered.returncode}"])[-1])
    except (SandboxError, OSError, subprocess.TimeoutExpired) as error:
        return TOKEN_ONLY, (f"sandbox: none (bubblewrap cannot make or enter namespaces here: {error}); "
                            "Ray token authentication only")
    return NAMESPACES, ("sandbox: namespaces (bubblewrap: only loopback, own processes, a file view of "
                        "Python, the grader and the submission) and Ray token authentication")


def at_once(jobs: int) -> tuple[int, str]:
    """(submissions graded at once here, "" or why fewer than asked). Without the sandbox the code
    being graded runs under the grader's user id and sees every process on the machine: graded
    beside another submission, it can write into that one's journal through /proc or signal its
    judge (tests/forging/journal_through_every_descriptor.py did, as root), and so cost another
    student a report. One at a time there: it can then cost only its own."""
    if jobs > 1 and protection()[0] != NAMESPACES:
        return 1, f"one at a time, not {jobs}: without the sandbox a submission could reach another's grading"
    return jobs, ""


class Sandbox:
    """`with Sandbox(readable, writable) as box:` then start each process with `box.wrap(command)`;
    leaving kills everything inside. With `enabled=False`, wrap() returns the command unchanged."""

    def __init__(self, readable: list[Path], writable: list[Path], *, hidden: list[Path] = (),
                 enabled: bool = True, student_uid: int | None = None):
        """writable: the first one is also the processes' home and temp folder. student_uid (the
        grader running as root): the user id every process but the judge runs under; the writable
        folders become its own."""
        self.readable = [Path(p) for p in readable]
        self.writable = [Path(p) for p in writable]
        self.hidden = [Path(p) for p in hidden]
        """Folders inside a readable one that must not be seen (the solutions inside an installed grader)."""
        self.enabled = enabled
        self.student_uid = student_uid if enabled else None
        self.holder: subprocess.Popen | None = None
        self.holder_pid = 0
        """The host pid of the sandbox's first process (nsenter's target)."""
        home = str(self.writable[0]) if self.writable else "/"
        self.environment = {"HOME": home, "TMPDIR": home} if enabled else {}
        """For the processes inside: the host's home and temp folders are not in the view."""

    def __enter__(self) -> "Sandbox":
        if not self.enabled:
            return self
        if self.student_uid is not None:
            for folder in self.writable:
                os.chown(folder, self.student_uid, self.student_uid)
        read_info, write_info = os.pipe()
        try:
            # The holder says "ready" once it runs: bubblewrap has then finished the mount view
            # (its info line, with the pid, comes earlier, while the view is still being made).
            self.holder = subprocess.Popen(
                ["bwrap", *self._view(), "--info-fd", str(write_info), "--",
                 "sh", "-c", "echo ready && exec sleep infinity"],
                pass_fds=(write_info,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True)
            os.close(write_info)
            write_info = -1
            with os.fdopen(read_info, "rb") as info:
                read_info = -1
                text = info.read()
            self.holder_pid = int(json.loads(text)["child-pid"])
            if self.holder.stdout.readline().strip() != b"ready":
                raise OSError("the sandbox's first process did not start")
        except (OSError, ValueError, KeyError) as error:
            message = self.holder.stderr.read().decode(errors="replace") if self.holder and self.holder.stderr else ""
            self.__exit__()
            raise SandboxError(f"bubblewrap did not start: {error} {message}".strip()) from error
        finally:
            for fd in (read_info, write_info):
                if fd >= 0:
                    os.close(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self.holder is not None:
            self.holder.kill()  # the PID namespace's first process: the kernel kills all that is left inside
            self.holder.wait()
            for stream in (self.holder.stdout, self.holder.stderr):
                if stream:
                    stream.close()
            self.holder = None

    @property
    def holder_pids(self) -> frozenset[int]:
        """bubblewrap's own processes: their command lines name the folders of the view."""
        return frozenset(pid for pid in (self.holder.pid if self.holder else 0, self.holder_pid) if pid)

    def wrap(self, command: list[str], cwd: Path | None = None, *, from_judge: bool = False) -> list[str]:
        """A process that runs the submission's code (or Ray's, which runs it): in every namespace,
        with no capability, as the student's user id where there is one. from_judge: started by
        the judge, which is in the sandbox's user namespace already (see wrap_judge)."""
        if not self.enabled:
            return list(command)
        enter = ["nsenter", f"--target={self.holder_pid}", "--net", "--pid", "--mount", "--ipc", "--uts",
                 "--root", f"--wdns={cwd or self.environment['HOME']}"]
        become = []
        if self.student_uid is not None:
            become = [f"--reuid={self.student_uid}", f"--regid={self.student_uid}", "--clear-groups"]
        elif self.own_user_namespace:
            # An ordinary user: bubblewrap made a user namespace that owns the others, so it is
            # entered first (that alone gives the right to enter them); then the process becomes
            # the namespace's uid 0, the one id mapped there (to this user outside): an unmapped
            # uid could create no file. It keeps no capability, as below.
            if not from_judge:
                enter.insert(2, "--user")
                enter.insert(3, "--preserve-credentials")
            become = ["--reuid=0", "--regid=0", "--keep-groups"]
        no_privileges = ["setpriv", *become, "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"]
        return [*enter, "--", *no_privileges, *command]

    def wrap_judge(self, command: list[str]) -> list[str]:
        """The judge: in the sandbox's network namespace only (to reach its Ray head on loopback),
        so it is in none of the submission's other namespaces: nothing there sees its pid, signals
        it or reads its files; it keeps the grader's user id (see grader.judge)."""
        if not self.enabled:
            return list(command)
        user = ["--user", "--preserve-credentials"] if self.own_user_namespace else []
        # It never traces anything: without that capability, its being undumpable is what keeps
        # other processes out of it (a process holding every capability could still trace it).
        no_tracing = [] if user else ["setpriv", "--bounding-set=-sys_ptrace", "--"]
        return ["nsenter", f"--target={self.holder_pid}", *user, "--net", "--", *no_tracing, *command]

    @property
    def own_user_namespace(self) -> bool:
        """The sandbox lives in a user namespace of its own (bubblewrap run by an ordinary user)."""
        try:
            return os.stat(f"/proc/{self.holder_pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
        except OSError:
            return False

    def _view(self) -> list[str]:
        # An ordinary user's bubblewrap maps them to uid 0 of its user namespace: with --dev it would
        # otherwise nest a second namespace (to map them back), and the one owning the network and
        # the mounts could not be entered (see wrap()).
        as_user = ["--unshare-user", "--uid", "0", "--gid", "0"] if os.geteuid() != 0 else []
        args = [*as_user, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--hostname", "grading",
                "--die-with-parent", "--cap-drop", "ALL",
                "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--tmpfs", "/dev/shm"]  # Ray's object store, whatever the user id
        for name in TOP_LEVEL_LINKS:
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        for name in ETC_FILES:
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        # The folders above what is bound (/root above a Python in a home folder) are made by
        # bubblewrap as private as their originals; the student's user id must pass through them.
        mounted = [p for p in [*_python_paths(), *self.readable, *self.writable] if p.exists()]
        for folder in sorted({parent for path in mounted for parent in path.parents} - {Path("/")}, key=_depth):
            inside_a_mount = any(folder == p or p in folder.parents for p in mounted)
            if not inside_a_mount and folder.parts[1] not in ("usr", "proc", "dev"):
                args += ["--perms", "0755", "--dir", str(folder)]
        for path in _python_paths():
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
        for path in self.hidden:
            if path.is_dir():
                args += ["--tmpfs", str(path)]
        # After the hidden folders: the submission is always in its grader's view, even when it
        # sits in one of them (the reference notebook graded in place from an editable install).
        for path in self.readable:
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
        for path in self.writable:
            args += ["--bind", str(path), str(path)]
        # The folders bubblewrap made to hold the mount points (/etc, the project's folder) would
        # otherwise be writable, in memory: read-only, nothing is written anywhere but scratch.
        return [*args, "--remount-ro", "/"]


STUDENT_UID_VARIABLE = "GRADER_STUDENT_UID"
DEFAULT_STUDENT_UID = 61000


def student_uid() -> int | None:
    """The user id the submission's processes run under when the grader is root (GRADER_STUDENT_UID,
    or 61000: an id of no account, so it owns nothing outside its scratch); None for an ordinary
    user, who cannot give processes another id (they are apart from the judge by namespaces)."""
    if os.geteuid() != 0:
        return None
    return int(os.environ.get(STUDENT_UID_VARIABLE, DEFAULT_STUDENT_UID))


def _depth(path: Path) -> int:
    return len(path.parts)


class SandboxError(RuntimeError):
    """The sandbox could not be made for this submission."""


def _python_paths() -> list[Path]:
    """The Python installation, its packages, and the grader's own package (only the package:
    an editable install's project folder also holds the solutions)."""
    places = {Path(sys.base_prefix), Path(sys.prefix), Path(grader.__file__).resolve().parent}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        places.add(Path(sysconfig.get_paths()[key]))
    places |= {Path(p).resolve() for p in (sys.executable, os.path.realpath(sys.executable))}
    return sorted(p for p in places if not any(p != q and q in p.parents for q in places))
