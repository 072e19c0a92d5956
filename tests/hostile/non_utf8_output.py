"""Writes bytes that are not UTF-8 to stdout and stderr at import and in a check; otherwise the
reference: full marks, nothing flagged.

Checks: supervisor.run_supervisor
Fails: none
"""
import os as _os

_os.write(1, b"\xff\xfe\xfa not utf-8 \xc3\x28\n")
_os.write(2, b"\x80\x81\x82\n")
_reference_run_supervisor = run_supervisor


def run_supervisor(models=None, poll_interval: float = 0.5) -> list:
    _os.write(1, b"\xff" * 1000)
    return _reference_run_supervisor(models, poll_interval)
