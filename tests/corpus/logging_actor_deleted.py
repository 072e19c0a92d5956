"""The LoggingActor cell was deleted.

Fails: logging.actor_class logging.log_and_get logging.run_experiments_complete
       logging.ordering_per_worker logging.parallel logging.no_leaks
"""
del LoggingActor
