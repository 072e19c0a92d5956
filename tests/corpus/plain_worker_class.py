"""Worker lost its @ray.remote decorator.

Fails: supervisor.actor_classes supervisor.one_worker_per_model supervisor.work_nonblocking
       supervisor.trains_each_model supervisor.state_values supervisor.terminate_kills_workers
       supervisor.run_supervisor supervisor.running_visible
"""


class Worker:
    def __init__(self, model_type, train_fn):
        self._state = "PENDING"

    def work(self):
        self._state = "DONE"

    def state(self):
        return self._state
