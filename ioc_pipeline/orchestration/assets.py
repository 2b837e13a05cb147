"""The Assets that link extraction to the dbt build.

URIs follow the postgres Asset scheme Airflow requires (`postgres://host:port/database/schema/table`);
the host is the connection id `warehouse`, a stable name rather than a machine.
"""

from airflow.sdk import Asset

RAW_DOSSIERS = Asset(
    name="raw.one_stop_shop__dossier",
    uri="postgres://warehouse:5432/ioc_warehouse/raw/one_stop_shop__dossier",
)
RAW_DEPARTMENTS = Asset(
    name="raw.dvc_portal__department",
    uri="postgres://warehouse:5432/ioc_warehouse/raw/dvc_portal__department",
)
RAW_FORMALITIES = Asset(
    name="raw.dvc_portal__formality",
    uri="postgres://warehouse:5432/ioc_warehouse/raw/dvc_portal__formality",
)
RAW_EVALUATION_METRICS = Asset(
    name="raw.dvc_portal__evaluation_metric",
    uri="postgres://warehouse:5432/ioc_warehouse/raw/dvc_portal__evaluation_metric",
)
RAW_OPERATOR_REPORTS = Asset(
    name="raw.operator__report_file",
    uri="postgres://warehouse:5432/ioc_warehouse/raw/operator__report_file",
)
MARTS = Asset(
    name="marts.fct_dossier",
    uri="postgres://warehouse:5432/ioc_warehouse/marts/fct_dossier",
)
