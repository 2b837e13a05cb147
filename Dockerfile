# The Airflow image of the IOC data platform: the official Apache Airflow 3 image, plus the project's
# pinned Python dependencies (dbt-postgres, astronomer-cosmos, great-expectations, ...) and the
# `ioc_pipeline` package. Built by `docker compose build` (see docker-compose.yml).
#
# The tag below must match the `apache-airflow==` pin in requirements.txt
# (tests/deploy/test_docker_compose.py checks it).
FROM apache/airflow:3.3.2-python3.11

# The network may be closed: tools that phone home then wait or log errors. Off for every process
# started from this image, whatever the compose file or `docker run` passes.
ENV AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=False \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False \
    SCARF_ANALYTICS=false

# Install as the airflow user into the image's Python environment, the way the Airflow docs
# extend the image. Naming "apache-airflow==${AIRFLOW_VERSION}" (the base image's version) keeps pip
# from upgrading or downgrading Airflow itself; a different pin in requirements.txt fails the build.
# The FAB provider (already in the base image) is named too, so that pip re-resolves the auth
# manager's own dependencies (Flask-AppBuilder, ...) against our constraints instead of leaving an
# older copy that no longer fits them: docker-compose.yml uses the FAB auth manager, as the official
# compose file does, so that airflow-init can create the admin account.
ARG FAB_PROVIDER_VERSION=3.10.2
USER airflow
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/ioc/
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" \
        "apache-airflow-providers-fab==${FAB_PROVIDER_VERSION}" \
        -r /opt/ioc/requirements.txt -c /opt/ioc/constraints.txt \
    && python -c "import airflow, os, sys; v = airflow.__version__; sys.exit(0 if v == os.environ['AIRFLOW_VERSION'] else 'apache-airflow changed to ' + v)"

# The pipeline package. docker-compose.yml also mounts ./ioc_pipeline over it for development.
COPY --chown=airflow:0 ioc_pipeline/ /opt/airflow/ioc_pipeline/
ENV PYTHONPATH=/opt/airflow
RUN python -c "import ioc_pipeline"
