"""Supervisor always builds DEFAULT_MODELS and ignores its `models` argument.

Fails: supervisor.one_worker_per_model supervisor.work_nonblocking supervisor.trains_each_model
       supervisor.state_values supervisor.run_supervisor supervisor.running_visible
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(name, fn) for name, fn in DEFAULT_MODELS]

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        return ray.get([worker.state.remote() for worker in self._workers])

    def terminate(self):
        for worker in self._workers:
            ray.kill(worker)
