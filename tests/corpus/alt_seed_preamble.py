"""The seed tutorial's own preamble (its imports, numpy included; is_initialized without
parentheses, then ray.init): the grader keeps its runtime and notes the ignored calls.

Fails: none
"""
from pprint import pprint
from random import randint

import numpy as np

if ray.is_initialized:
    ray.shutdown()
ray.init(logging_level=logging.ERROR)
