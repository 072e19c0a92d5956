"""Worker.work fills 4 GiB inside the Worker actor's own process.

Checks: supervisor.trains_each_model
Fails: supervisor.trains_each_model
Says: memory limit
Flag: Limit exceeded: the submission went over the memory limit
"""


@ray.remote
class Worker:
    def __init__(self, model_type, train_fn):
        self.model_type, self.train_fn, self.state_ = model_type, train_fn, "PENDING"

    def work(self):
        self.hog = b"x" * (4 * 1024**3)
        self.train_fn()
        self.state_ = "DONE"

    def state(self):
        return self.state_
