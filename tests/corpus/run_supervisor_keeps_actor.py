"""run_supervisor keeps its supervisor in a module-level list and never kills it.

Fails: supervisor.run_supervisor
"""
_KEPT = []


def run_supervisor(models=None, poll_interval=0.5):
    supervisor = Supervisor.remote(models)
    _KEPT.append(supervisor)
    supervisor.work.remote()
    history = []
    while True:
        states = ray.get(supervisor.state.remote())
        history.append(states)
        if all(s == "DONE" for s in states):
            return history
        time.sleep(poll_interval)
