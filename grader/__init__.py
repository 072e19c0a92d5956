"""Autograder for the Ray "tree of actors" assignment.

`grade(...)` is the one entry point: it takes submission paths and returns one
`Report` per submission. The `grade` command is a thin shell around it.
"""

__version__ = "0.1.0"

from grader.records import CheckResult, CheckSpec, Report  # noqa: E402  (re-exported API)


def grade(*args, **kwargs):
    """See `grader.grading.grade`; imported lazily so that `import grader` stays cheap."""
    from grader.grading import grade as _grade

    return _grade(*args, **kwargs)


__all__ = ["CheckResult", "CheckSpec", "Report", "grade", "__version__"]
