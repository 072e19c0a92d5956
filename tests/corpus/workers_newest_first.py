"""Supervisor keeps its workers newest first (insert(0, ...)), so state() lists them in reverse
model order: plain strs from STATES, but each position reports another model's worker.

Fails: supervisor.state_values
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = []
        for model_type, train_fn in DEFAULT_MODELS if models is None else models:
            self._workers.insert(0, Worker.remote(model_type, train_fn))

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self):
        for worker in self._workers:
            ray.kill(worker)
