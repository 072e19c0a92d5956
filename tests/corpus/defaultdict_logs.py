"""get_logs returns the internal defaultdict instead of a plain dict.

Fails: logging.log_and_get
"""


@ray.remote
class LoggingActor:
    def __init__(self):
        self.logs = defaultdict(list)

    def log(self, index, message):
        self.logs[index].append(message)

    def get_logs(self):
        return self.logs
