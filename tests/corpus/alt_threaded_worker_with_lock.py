"""Alternative correct Worker: a threaded actor (max_concurrency=4) guarding its state with a lock.

Fails: none
"""
import threading


@ray.remote(max_concurrency=4)
class Worker:
    def __init__(self, model_type, train_fn):
        self._model_type, self._train_fn = model_type, train_fn
        self._lock = threading.Lock()
        self._state = "PENDING"

    def work(self):
        with self._lock:
            self._state = "RUNNING"
        model_factory(self._model_type, self._train_fn).train()
        with self._lock:
            self._state = "DONE"

    def state(self):
        with self._lock:
            return self._state
