"""Hostile: the module raises while loading, before the exercise is defined. What was
defined before the crash is graded; the rest fails with the file and line of the crash.

Fails: logging.actor_class logging.log_and_get logging.run_experiment_messages
       logging.run_experiments_complete logging.ordering_per_worker logging.parallel logging.no_leaks
Insert-before: class LoggingActor
"""
raise RuntimeError("the submission crashed while loading")
