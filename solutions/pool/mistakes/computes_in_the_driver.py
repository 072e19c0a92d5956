"""squares() starts a pool, then computes every square itself, in the driver, one at a time.

Fails: pool.map_parallel
"""


def squares(numbers: list) -> list:
    with Pool(processes=PROCESSES):
        return [slow_square(x) for x in numbers]
