"""Worker.work kills its own actor process (SIGKILL) in the middle of the check.

Checks: supervisor.trains_each_model
Fails: supervisor.trains_each_model
Says: train_fn
"""


@ray.remote
class Worker:
    def __init__(self, model_type, train_fn):
        self.model_type, self.train_fn, self.state_ = model_type, train_fn, "PENDING"

    def work(self):
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)

    def state(self):
        return self.state_
