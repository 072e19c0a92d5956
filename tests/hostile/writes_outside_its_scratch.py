"""Writes beside its own file, into the grader's project and into the system's folders (each
file removed again at once if the write worked).

Needs: sandbox
Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: written: []
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import os
    import sys

    import grader

    project = os.path.dirname(os.path.dirname(os.path.realpath(grader.__file__)))
    mine = os.path.dirname(os.path.realpath(sys.argv[-1]))
    written = []
    for folder in (mine, project, os.path.dirname(os.path.realpath(grader.__file__)), "/usr", "/etc", "/var/tmp"):
        path = os.path.join(folder, f"written-by-a-submission-{os.getpid()}")
        try:
            with open(path, "w") as handle:
                handle.write("x")
        except OSError:
            continue
        written.append(folder)
        os.remove(path)
    raise RuntimeError(f"written: {written}")
