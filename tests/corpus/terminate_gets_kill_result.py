"""Supervisor.terminate wraps ray.kill in ray.get ("to wait until it is dead"); ray.kill returns
None, so ray.get raises ValueError after the first kill and the other workers live on.

Fails: supervisor.terminate_kills_workers supervisor.run_supervisor
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(m, fn) for m, fn in (DEFAULT_MODELS if models is None else models)]

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self):
        for worker in self._workers:
            ray.get(ray.kill(worker))
