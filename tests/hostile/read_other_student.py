"""Copies run_supervisor from another student's file beside its own.

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
    for other in sorted(glob.glob(os.path.join(os.path.dirname(mine), "*.py"))):
        if os.path.realpath(other) != mine:
            namespace = dict(globals())
            exec(open(other).read(), namespace)
            return namespace["run_supervisor"](models, poll_interval)
    raise RuntimeError("nobody to copy from")
