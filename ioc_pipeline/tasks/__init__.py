"""What the DAGs' tasks do, as plain functions: testable without Airflow, one module per source.

A DAG resolves its connections and its interval (`airflow_glue`), then calls one of these. Each call
is one batch per source entity (per month for the 766 index, per file for a workbook), idempotent:
the raw layer keeps each distinct record version once, so running an interval twice loads nothing new.
"""
