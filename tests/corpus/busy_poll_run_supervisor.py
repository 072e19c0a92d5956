"""run_supervisor ignores poll_interval: it asks state() again the moment an answer arrives (a
busy loop), flooding the supervisor while its workers train.

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
    ray.get(supervisor.terminate.remote())
    ray.kill(supervisor)
    return history
