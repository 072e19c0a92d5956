"""One pool in a global, started on the first call and never closed: its processes outlive every
call (the right values, in parallel, in order).

Fails: pool.closed
"""

_POOL = []


def squares(numbers: list) -> list:
    if not _POOL:
        _POOL.append(Pool(processes=PROCESSES))
    return _POOL[0].map(slow_square, numbers)
