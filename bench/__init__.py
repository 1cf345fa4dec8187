"""Benchmarks of the project on PostgreSQL: ``.venv/bin/python -m bench`` (docs/benchmarks.md)."""

import sys
from pathlib import Path

_PLUGINS = str(Path(__file__).resolve().parents[1] / "plugins")
if _PLUGINS not in sys.path:  # the domain package, as Airflow puts plugins/ on sys.path
    sys.path.insert(0, _PLUGINS)
