#!/usr/bin/env bash
# Installs the project into .venv/ from the committed lock (uv.lock) and the few system
# packages it needs (a CJK font for charts; with --test also Debian's chromium for the
# browser tier). Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

if ! command -v uv >/dev/null 2>&1; then
  echo "[setup] installing uv"
  python3 -m pip install --quiet uv || pip install --quiet uv
fi

echo "[setup] uv sync --frozen (apache-airflow $(grep -A1 '^name = "apache-airflow"$' uv.lock | sed -n 's/version = "\(.*\)"/\1/p'))"
# Bytecode compiled at install: machines that set PYTHONDONTWRITEBYTECODE (this one does) would
# otherwise compile every imported module from source in every process, i.e. in every Airflow
# task (seconds each for Apprise, SQLAlchemy, openpyxl, matplotlib; docs/benchmarks.md).
uv sync --frozen --quiet --compile-bytecode
.venv/bin/python -m compileall -q -j 0 plugins dags >/dev/null

apt_missing=()
fc-list :lang=zh 2>/dev/null | grep -q . || apt_missing+=(fonts-wqy-microhei)
if (( want_test )); then
  [[ -x /usr/bin/chromium ]] || apt_missing+=(chromium)
fi
if (( ${#apt_missing[@]} )); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "[setup] apt-get install ${apt_missing[*]}"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  else
    echo "[setup] WARNING: please install ${apt_missing[*]} (Debian packages); charts need a CJK font" >&2
  fi
fi
