"""Supervisor.terminate forgets to kill the workers.

Fails: supervisor.terminate_kills_workers
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(name, fn) for name, fn in (models or DEFAULT_MODELS)]

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self):
        pass
