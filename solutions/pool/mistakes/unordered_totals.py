"""running_totals() takes the squares as they finish (imap_unordered): the totals of another order.

Fails: pool.imap_totals
"""


def running_totals(numbers: list) -> list:
    totals, total = [], 0
    with Pool(processes=PROCESSES) as pool:
        for square in pool.imap_unordered(slow_square, numbers):
            total += square
            totals.append(total)
    return totals
