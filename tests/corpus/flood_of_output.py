"""Hostile: prints 40 MB while loading and inside every log call. Grading is unaffected and the
output kept for the instructor is bounded.

Fails: none
"""
import sys as _sys

for _ in range(40):
    _sys.stdout.write("x" * (1024 * 1024) + "\n")


@ray.remote
class LoggingActor:
    def __init__(self):
        self.logs = defaultdict(list)

    def log(self, index, message):
        print("logging", index, message * 1000)
        self.logs[index].append(message)

    def get_logs(self):
        return {k: list(v) for k, v in self.logs.items()}
