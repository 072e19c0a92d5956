"""Copies run_supervisor from another student's file. Its own file is a copy in a folder of its
own (grader/runtime/isolation.py), so it goes looking for the original in the folders above that
one (the class may sit in the same temp folder), and takes a file beside it.

Checks: supervisor.run_supervisor
Fails: supervisor.run_supervisor
Says: off limits
Flag: tried to reach
Sandbox says: nobody to copy from
Sandbox flag: none
"""


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    import glob
    import os
    import sys

    mine = os.path.realpath(sys.argv[-1])
    name = os.path.basename(mine)
    grading_folder = os.path.dirname(os.path.dirname(mine))
    roots = sorted({os.path.dirname(grading_folder), "/tmp"})
    for depth in range(4):
        found = {path for root in roots for path in glob.glob(os.path.join(root, *["*"] * depth, name))}
        for original in sorted(found):
            if os.path.realpath(original) == mine:
                continue
            for other in sorted(glob.glob(os.path.join(os.path.dirname(original), "*.py"))):
                if os.path.basename(other) != name:
                    namespace = dict(globals())
                    exec(open(other).read(), namespace)
                    return namespace["run_supervisor"](models, poll_interval)
    raise RuntimeError("nobody to copy from")
