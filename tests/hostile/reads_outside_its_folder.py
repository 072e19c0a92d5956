"""Reads files outside its own folder that no deny list names: the grader's project beside the
installed package, the machine's password hashes, the instructor's home folder.

Needs: sandbox
Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: readable: []
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import os

    import grader

    project = os.path.dirname(os.path.dirname(os.path.realpath(grader.__file__)))
    home = os.path.expanduser("~" + os.environ.get("SUDO_USER", "root"))
    readable = []
    for path in (os.path.join(project, "pyproject.toml"), os.path.join(project, "README.md"), "/etc/shadow",
                 os.path.join(home, ".bashrc"), os.path.join(home, ".profile")):
        try:
            with open(path, "rb") as handle:
                handle.read(1)
            readable.append(path)
        except OSError:
            continue
    raise RuntimeError(f"readable: {readable}")
