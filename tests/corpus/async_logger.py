"""LoggingActor.log is async: Ray no longer keeps the order of calls.

Fails: logging.ordering_per_worker
"""


@ray.remote
class LoggingActor:
    def __init__(self):
        self.logs = defaultdict(list)

    async def log(self, index, message):
        self.logs[index].append(message)

    async def get_logs(self):
        return dict(self.logs)
