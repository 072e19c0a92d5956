"""Supervisor.work() waits for the training to finish before returning.

Fails: supervisor.work_nonblocking supervisor.running_visible
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(name, fn) for name, fn in (models or DEFAULT_MODELS)]

    def work(self):
        ray.get([worker.work.remote() for worker in self._workers])  # blocks the supervisor

    def state(self):
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self):
        for worker in self._workers:
            ray.kill(worker)
