#!/usr/bin/env bash
# The main job on the embedded default: install, seed the demo department databases, start
# Airflow (`airflow standalone`, SQLite metadata) with the project's DAGs, trigger one run of
# each DAG for its current period, and keep running until Ctrl-C, which stops every process
# this script started (their process group).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# Created paused so that the demo runs triggered below go first; unpaused right after.
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
# The demo shows every kind of the plan: its example rules (虚构) are paid here, never by default.
export GXQ_POLICY_EXAMPLES="${GXQ_POLICY_EXAMPLES:-1}"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
# SQLite metadata: wait up to 60 s for a lock instead of sqlite3's 5 s (gxq.connections says why).
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS:-gxq.connections.AIRFLOW_SQLITE_CONNECT_ARGS}"
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://localhost:$AIRFLOW__API__PORT}"
mkdir -p "$AIRFLOW_HOME" "$GXQ_OUTPUT_DIR"

# The demo data are a rolling window ending today (Asia/Shanghai): seeded again on a new day, so
# that the current week, month and quarter always have figures.
today="$(TZ=Asia/Shanghai date +%F)"
if [[ ! -f "$GXQ_DATA_DIR/dept_petitions.db" || ! -f "$GXQ_DATA_DIR/dept_supervision.db" || "$(cat "$GXQ_DATA_DIR/demo-window.txt" 2>/dev/null)" != "$today" ]]; then
  echo "[run] seeding demo department databases (rolling window ending $today) into $GXQ_DATA_DIR"
  python -m gxq.demo.generate --data-dir "$GXQ_DATA_DIR" --today "$today"
  echo "$today" >"$GXQ_DATA_DIR/demo-window.txt"
else
  # the same day's rows again, with the urgent petitions (急险) put around this moment, so that the
  # urgent-petition watch's first runs have alerts to send (a few seconds)
  python -m gxq.demo.generate --data-dir "$GXQ_DATA_DIR" --today "$today" --only dept_petitions
fi

log="$AIRFLOW_HOME/standalone.log"
echo "[run] starting airflow standalone (log: $log)"
setsid airflow standalone >"$log" 2>&1 &
pid=$!
stop() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping Airflow (process group $pid)"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  echo "[run] stopped"
}
trap stop INT TERM EXIT

python scripts/demo_trigger.py --base-url "http://localhost:$AIRFLOW__API__PORT" --pid "$pid"
echo "[run] Ctrl-C stops everything."
wait "$pid"
