# Sourced by the run and test scripts: the embedded default's environment.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$REPO/.venv/bin:$PATH"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/airflow_home}"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$REPO/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DEFAULT_TIMEZONE=Asia/Shanghai
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
# Sized for 2 cores: a handful of LocalExecutor workers, not parallelism's default 32.
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG="${AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG:-4}"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}"
export PYTHONPATH="$REPO/plugins${PYTHONPATH:+:$PYTHONPATH}"
export GXQ_OUTPUT_DIR="${GXQ_OUTPUT_DIR:-$REPO/output}"
export GXQ_DATA_DIR="${GXQ_DATA_DIR:-$REPO/data}"
if [[ -z "${GXQ_APPRISE_CONFIG:-}" && -f "$REPO/include/apprise/demo.yml" ]]; then
  export GXQ_APPRISE_CONFIG="$REPO/include/apprise/demo.yml"
fi
