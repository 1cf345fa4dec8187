# The project's Airflow image: the official apache/airflow image (same Airflow and Python as
# uv.lock pins) extended with exactly the locked requirements, a CJK font for the charts, and
# the project's code (docker-compose.yaml also mounts dags/, plugins/, include/ over it).
#
#   docker compose build            # or: docker build -t gxq-airflow:3.3.2 .
#
# Airflow's version appears twice below (base image tag and AIRFLOW_VERSION): keep both equal
# to the apache-airflow version in uv.lock (tests/deploy/test_compose.py checks it).

# --- 1. requirements.txt from the lock (uv export: the exact versions, no resolution) ---------
FROM python:3.11-slim-bookworm AS requirements
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt \
        --output-file /requirements.txt

# --- 2. the Airflow image with the locked requirements -------------------------------------
FROM apache/airflow:3.3.2-python3.11
ARG AIRFLOW_VERSION=3.3.2

USER root
# Charts label axes in Chinese (gxq.charts picks the first CJK font it finds).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --from=requirements /requirements.txt /opt/airflow/requirements.lock.txt
# apache-airflow pinned again so that pip can never move Airflow itself (the image's advice).
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.lock.txt

COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 include/ /opt/airflow/include/
# The 看板 serves the project's reference (数据与报告口径) at /gxq/reference.
COPY --chown=airflow:0 docs/reference.md /opt/airflow/docs/reference.md

# The domain package is importable by every process (tasks, triggerer callbacks, the demo seeder).
ENV PYTHONPATH=/opt/airflow/plugins \
    GXQ_OUTPUT_DIR=/opt/airflow/output \
    AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
