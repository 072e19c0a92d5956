"""squares_async() waits for each call before it sends the next: the pool computes one number at a
time (the right values, in order, four times slower).

Fails: pool.async_parallel
"""


def squares_async(numbers: list) -> list:
    with Pool(processes=PROCESSES) as pool:
        return [pool.apply_async(slow_square, (x,)).get(timeout=120) for x in numbers]
