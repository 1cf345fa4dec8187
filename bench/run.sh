#!/usr/bin/env bash
# The benchmarks in one command (docs/benchmarks.md): bash bench/run.sh [--sizes 1,5,26] [--repeat 5] ...
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench "$@"
