"""LoggingActor gives every new index the same "default" list object, so all indices share one
list that holds every message of every index.

Fails: logging.log_and_get logging.ordering_per_worker
"""


@ray.remote
class LoggingActor:
    def __init__(self):
        self._logs = {}
        self._empty = []  # meant as the starting list of a new index

    def log(self, index, message):
        self._logs.setdefault(index, self._empty).append(message)

    def get_logs(self):
        return {index: list(messages) for index, messages in self._logs.items()}
