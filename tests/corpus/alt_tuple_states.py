"""Alternative correct Supervisor.state: returns a tuple of plain str.

Fails: none
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = {name: Worker.remote(name, fn) for name, fn in (DEFAULT_MODELS if models is None else models)}

    def work(self):
        for worker in self._workers.values():
            worker.work.remote()

    def state(self):
        return tuple(ray.get([worker.state.remote() for worker in self._workers.values()]))

    def terminate(self):
        for worker in self._workers.values():
            ray.kill(worker)
