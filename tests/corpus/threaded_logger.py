"""LoggingActor is a threaded actor: calls from one caller may run out of order.

Fails: logging.ordering_per_worker
"""


@ray.remote(max_concurrency=8)
class LoggingActor:
    def __init__(self):
        self.logs = defaultdict(list)

    def log(self, index, message):
        self.logs[index].append(message)

    def get_logs(self):
        return {k: list(v) for k, v in self.logs.items()}
