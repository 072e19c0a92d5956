# Imported at start-up by every Python process of a grading run (this folder is first on their
# PYTHONPATH): the grading process and every Ray worker that runs the submission's actors and
# tasks. When the grader names a guard file (GRADER_GUARD), an audit hook, which Python code cannot
# remove, refuses the submission's code any file operation on the paths it lists (the reference
# solutions, other students' work, the results and feedback folders, the grader's journal) and
# logs each attempt for the instructor. Outside grading runs this file does nothing.
import os
import sys


def _install(guard_file):
    import json  # only in grading runs: every other Python start on this path pays nothing

    with open(guard_file, encoding="utf-8") as handle:
        guard = json.load(handle)
    deny = tuple(guard["deny"])
    allow = tuple(guard["allow"])
    log_path = guard["log"]
    busy = []

    def closest(path, prefixes):
        """Length of the longest of `prefixes` that `path` is or is inside of (0: none)."""
        return max((len(p) for p in prefixes if path == p or path.startswith(p.rstrip(os.sep) + os.sep)),
                   default=0)

    def refused(path):
        if isinstance(path, int) or path is None:
            return False
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError, OSError):
            return False
        # The more precise rule wins: another student's file in the student's own folder is refused.
        return closest(real, deny) > closest(real, allow)

    def hook(event, args):
        if busy or event not in EVENTS or not args:
            return
        paths = args[:2] if event in TWO_PATHS else args[:1]
        for path in paths:
            if refused(path):
                busy.append(1)
                try:
                    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    os.write(fd, f"{event}\t{os.fsdecode(path)}\t{os.getpid()}\n".encode("utf-8", "replace"))
                    os.close(fd)
                finally:
                    busy.clear()
                raise PermissionError(f"{os.fsdecode(path)} is off limits to the code being graded")

    sys.addaudithook(hook)


EVENTS = {"open", "os.rename", "os.replace", "os.link", "os.symlink", "os.remove", "os.rmdir", "os.mkdir",
          "os.chmod", "os.chown", "os.truncate", "os.utime", "os.listdir", "os.scandir", "shutil.rmtree",
          "shutil.copyfile", "shutil.copytree", "shutil.move", "os.chdir", "glob.glob"}
TWO_PATHS = {"os.rename", "os.replace", "os.link", "os.symlink", "shutil.copyfile", "shutil.copytree", "shutil.move"}

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
