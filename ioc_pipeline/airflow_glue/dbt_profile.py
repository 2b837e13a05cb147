"""The dbt profile Cosmos builds from the Airflow connection `warehouse`."""

from __future__ import annotations

from cosmos.profiles import PostgresUserPasswordProfileMapping

from ioc_pipeline import config


class WarehouseProfileMapping(PostgresUserPasswordProfileMapping):
    """Cosmos' Postgres mapping, also for servers that trust local connections (no password).

    Development servers (the local cluster, the embedded one) authenticate by trust or socket and
    have no password; Cosmos would refuse such a connection although dbt connects fine.
    """

    required_fields = ["host", "user", "dbname"]

    def get_dbt_value(self, name: str):
        value = super().get_dbt_value(name)
        if name == "password" and value is None:
            return ""  # trust/socket authentication: dbt needs the variable, not a secret
        return value


def profile_config():
    from cosmos import ProfileConfig

    return ProfileConfig(
        profile_name="ioc_warehouse",
        target_name="airflow",
        profile_mapping=WarehouseProfileMapping(conn_id=config.CONN_WAREHOUSE, profile_args={"schema": "marts"}),
    )
