"""The run command (`python -m ioc_pipeline run`): the real DAGs over one catch-up interval, then a summary.

Why its own room: it drives Airflow from outside (`airflow dags test` child processes), which
no DAG and no task needs. `catch_up` is the one piece it shares with the tasks: the conf it puts in
every DAG run and the reader the tasks use on it.
"""
