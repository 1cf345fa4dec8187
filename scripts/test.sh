#!/usr/bin/env bash
# Installs everything the tests need and runs the whole suite: unit tests, end-to-end
# dag.test() runs on SQLite and PostgreSQL, then the slow tier (Celery stack, browser) last.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/petitions -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
source scripts/env.sh
unset AIRFLOW_HOME GXQ_OUTPUT_DIR GXQ_DATA_DIR GXQ_APPRISE_CONFIG  # the suite makes its own

# PostgreSQL is a real dependency: fail loudly, with the reason, rather than skip.
if ! python - <<'PY'
import sys, psycopg2
try:
    psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=5).close()
except Exception as exc:
    sys.exit(f"PostgreSQL on 127.0.0.1:5432 (user postgres) is not reachable: {exc}")
PY
then
  echo "FATAL: the test suite needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth)." >&2
  exit 3
fi

# Redis (the Celery tier's broker): start it if it is not running.
if ! python -c "import redis; redis.Redis(host='127.0.0.1', port=6379, socket_connect_timeout=2).ping()" 2>/dev/null; then
  echo "[test] starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  sleep 1
fi

mkdir -p test-output
start=$(date +%s)
set +e
python -m pytest "${@:-tests}"
rc=$?
set -e
echo "[test] wall time $(( $(date +%s) - start ))s"
exit $rc
