"""Alternative correct run_supervisor: it polls twice per poll_interval and keeps only the answers
that changed (still spaced polls, not a busy loop).

Fails: none
"""


def run_supervisor(models=None, poll_interval=0.5):
    supervisor = Supervisor.remote(models)
    supervisor.work.remote()
    history = []
    while True:
        states = ray.get(supervisor.state.remote())
        if not history or history[-1] != states:
            history.append(states)
        if all(state == "DONE" for state in states):
            break
        time.sleep(poll_interval / 2)
    ray.get(supervisor.terminate.remote())
    ray.kill(supervisor)
    return history
