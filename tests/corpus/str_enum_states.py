"""Worker.state returns members of a str Enum instead of plain str.

Fails: supervisor.state_values
"""
import enum


class State(str, enum.Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"


@ray.remote(max_concurrency=2)
class Worker:
    def __init__(self, model_type, train_fn):
        self._model_type, self._train_fn = model_type, train_fn
        self._state = State.PENDING

    def work(self):
        self._state = State.RUNNING
        model_factory(self._model_type, self._train_fn).train()
        self._state = State.DONE

    def state(self):
        return self._state
