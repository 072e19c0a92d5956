"""run_supervisor creates a detached Supervisor and, instead of killing it, drops its handle: a
detached actor is not reference counted, so the supervisor outlives the call (its workers do not).

Fails: supervisor.run_supervisor
"""


def run_supervisor(models=None, poll_interval=0.5):
    supervisor = Supervisor.options(lifetime="detached").remote(models)
    supervisor.work.remote()
    history = []
    while True:
        states = ray.get(supervisor.state.remote())
        history.append(states)
        if all(state == "DONE" for state in states):
            break
        time.sleep(poll_interval)
    ray.get(supervisor.terminate.remote())
    del supervisor  # "no handle left, so Ray will clean it up"
    return history
