"""squares_async() returns the AsyncResults, the promises, instead of their values.

Fails: pool.async_in_order
"""


def squares_async(numbers: list) -> list:
    pool = Pool(processes=PROCESSES)
    pending = [pool.apply_async(slow_square, (x,)) for x in numbers]
    for result in pending:
        result.wait(timeout=120)
    pool.close()
    return pending
