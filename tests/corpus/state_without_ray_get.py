"""Supervisor.state returns the workers' ObjectRefs instead of their states (no ray.get); the
student's own run_supervisor then polls forever.

Fails: supervisor.state_values supervisor.run_supervisor supervisor.running_visible
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(name, fn) for name, fn in (DEFAULT_MODELS if models is None else models)]

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        return [worker.state.remote() for worker in self._workers]

    def terminate(self):
        for worker in self._workers:
            ray.kill(worker)
