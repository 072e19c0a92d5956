"""run_supervisor sleeps a fixed 0.5 s between two polls, whatever poll_interval says (spaced polls,
but not as the caller asked).

Fails: supervisor.run_supervisor
"""


def run_supervisor(models=None, poll_interval=0.5):
    supervisor = Supervisor.remote(models)
    supervisor.work.remote()
    history = []
    while True:
        states = ray.get(supervisor.state.remote())
        history.append(states)
        if all(state == "DONE" for state in states):
            break
        time.sleep(0.5)
    ray.get(supervisor.terminate.remote())
    ray.kill(supervisor)
    return history
