"""Hostile: Supervisor.state never returns. The checks that need it fail with a timeout
message; every other check still runs.

Fails: supervisor.state_values supervisor.run_supervisor supervisor.running_visible
"""


@ray.remote
class Supervisor:
    def __init__(self, models=None):
        self._workers = [Worker.remote(name, fn) for name, fn in (models or DEFAULT_MODELS)]

    def work(self):
        for worker in self._workers:
            worker.work.remote()

    def state(self):
        while True:
            time.sleep(0.1)

    def terminate(self):
        for worker in self._workers:
            ray.kill(worker)
