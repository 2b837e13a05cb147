"""The real Airflow stack on this machine (`bin/airflow up|down|status`), its REST client, and what a
DAG run covers when it has no logical date (`dag_runs`, imported by the DAG files)."""
