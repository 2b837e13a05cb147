"""What only Airflow needs: the glue the DAG files import, and nothing else does.

Connections become URLs here (Airflow is the one credential source of tasks), every DAG gets its
default arguments here, the Assets that link extraction to the build are declared here, and Cosmos
gets its dbt profile and docs callback here. What the tasks actually do lives in `tasks/`, which
runs and is tested without Airflow.
"""
