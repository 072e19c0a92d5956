# Imported at start-up by every Python process of a grading run (this folder is first on their
# PYTHONPATH): the grading process and every Ray worker that runs the submission's actors and
# tasks. When the grader names a guard file (GRADER_GUARD), an audit hook, which Python code cannot
# remove, refuses the submission's code any file operation on the paths it lists (the reference
# solutions, other students' work, the results and feedback folders, the grader's journal) and
# reports each attempt to the grader (a datagram to its socket: nothing the code can erase). The
# file names no path, only salted hashes (grader/runtime/off_limits.py), so reading it tells
# nothing. A name relative to a folder descriptor (dir_fd, or os.open relative to an open folder)
# is judged where it really points. Outside grading runs this file does nothing.
import os
import sys


def _install(guard_file):
    import hashlib  # only in grading runs: every other Python start on this path pays nothing
    import json
    import socket
    import threading

    with open(guard_file, encoding="utf-8") as handle:
        guard = json.load(handle)
    salt = guard["salt"]
    deny = frozenset(guard["deny"])
    allow = frozenset(guard["allow"])
    record = guard["record"]
    inside = threading.local()  # the hook's own file operations are not judged (per thread: no gap for others)

    def rule(real):
        """"deny", "allow" or "": the rule of the closest folder `real` is in (or is)."""
        path = real
        while True:
            digest = hashlib.sha256(f"{salt}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()
            if digest in allow:  # the same folder in both (a submission graded where it sits): allowed
                return "allow"
            if digest in deny:
                return "deny"
            parent = os.path.dirname(path)
            if parent == path:
                return ""
            path = parent

    def places(path, dir_fd, any_folder):
        """Every real path `path` may name: an absolute one names itself; a relative one is taken
        from dir_fd's folder, else from the current folder and, for os.open (whose audit event does
        not say which dir_fd it was given: any_folder), from every folder this process holds open."""
        name = os.fsdecode(path)
        if os.path.isabs(name):
            return [name]
        if isinstance(dir_fd, int) and dir_fd >= 0:
            return [os.path.join(_folder_of(dir_fd), name)]
        folders = [os.getcwd(), *(_open_folders() if any_folder else ())]
        return [os.path.join(folder, name) for folder in folders]

    def refused(path, dir_fd=None, any_folder=False):
        if isinstance(path, int) or path is None:
            return False
        try:
            name = os.fsdecode(path)
        except (TypeError, ValueError):
            return False
        try:
            candidates = places(name, dir_fd, any_folder)
            return any(rule(os.path.realpath(candidate)) == "deny" for candidate in candidates)
        except (TypeError, ValueError, OSError):
            # A relative name whose folder cannot be told (the current folder removed, a descriptor
            # that is no folder) is refused: it could point anywhere.
            return not os.path.isabs(name)

    def report(event, path):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as channel:
                channel.settimeout(5)  # the grader reads as they come; never a process stuck on a dead reader
                channel.sendto(f"{event}\t{os.fsdecode(path)}\t{os.getpid()}".encode("utf-8", "replace")[:4000],
                               record)
        except OSError:
            pass

    def hook(event, args):
        if getattr(inside, "busy", False) or event not in EVENTS or not args:
            return
        inside.busy = True
        try:
            # os.open passes no mode (builtin open passes a str): only it can take a dir_fd unseen.
            any_folder = event == "open" and len(args) > 1 and args[1] is None
            for path, dir_fd in EVENTS[event](args):
                if refused(path, dir_fd, any_folder):
                    report(event, path)
                    raise PermissionError(f"{os.fsdecode(path)} is off limits to the code being graded")
        finally:
            inside.busy = False

    sys.addaudithook(hook)


def _folder_of(fd):
    return os.readlink(f"/proc/self/fd/{fd}")


def _open_folders():
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("/") and os.path.isdir(target):
            found.append(target)
    return found


def _one(args):
    return [(args[0], None)]


def _at(index):
    """The path is args[0], its dir_fd args[index]."""
    return lambda args: [(args[0], args[index] if len(args) > index else None)]


def _two(args):
    """src, dst, src_dir_fd, dst_dir_fd (os.rename, os.replace, os.link)."""
    return [(args[0], args[2] if len(args) > 2 else None), (args[1], args[3] if len(args) > 3 else None)]


def _pair(args):
    return [(args[0], None), (args[1], None)] if len(args) > 1 else [(args[0], None)]


EVENTS = {"open": _one, "os.listdir": _one, "os.scandir": _one, "os.chdir": _one, "glob.glob": _one,
          "os.truncate": _one, "shutil.rmtree": _at(1), "sqlite3.connect": _one,
          "os.remove": _at(1), "os.rmdir": _at(1), "os.mkdir": _at(2), "os.chmod": _at(2), "os.chown": _at(3),
          "os.utime": _at(3), "os.rename": _two, "os.replace": _two, "os.link": _two,
          "os.symlink": lambda args: [(args[0], None), (args[1], args[2] if len(args) > 2 else None)],
          "shutil.copyfile": _pair, "shutil.copytree": _pair, "shutil.move": _pair}
"""The audit events that touch paths, and where their paths (and folder descriptors) are."""

if os.environ.get("GRADER_GUARD"):
    _install(os.environ["GRADER_GUARD"])


# In Ray's worker processes only, two modules that `import ray` reaches but a worker seldom uses
# are executed when first used instead of at import (the standard library's LazyLoader: the
# module object is the real one, its code runs at the first attribute access): jsonschema (Ray's
# runtime_env plugin schemas) and requests (Ray's TPU and dashboard helpers). Measured here:
# a worker's start-up falls from about 0.55 s to 0.33 s of CPU, and grading one submission
# starts about 25 workers.
LAZY_IN_WORKERS = ("jsonschema", "requests")


class _LazyInWorkers:
    def find_spec(self, name, path=None, target=None):
        if name not in LAZY_IN_WORKERS:
            return None
        import importlib.machinery
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


if sys.argv and str(sys.argv[0]).endswith("default_worker.py"):
    sys.meta_path.insert(0, _LazyInWorkers())
