"""run_supervisor kills the Ray runtime it is graded on (its GCS and raylet), then waits forever:
grading stops within seconds (no wait for the wall clock), the running check says why, the
checks after it are not run for the same reason, and the instructor is told.

Checks: supervisor.run_supervisor, supervisor.running_visible
Fails: supervisor.run_supervisor, supervisor.running_visible
Says: stopped its Ray runtime
Flag: stopped its own Ray runtime
"""


def run_supervisor(models=None, poll_interval=0.5):
    import os
    import signal

    import psutil

    session = ray._private.worker.global_worker.node.get_session_dir_path()
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] in ("gcs_server", "raylet") and session in " ".join(proc.info["cmdline"] or ()):
            os.kill(proc.pid, signal.SIGKILL)
    time.sleep(10**6)
