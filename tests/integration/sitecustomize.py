"""Worker warm-up for the integration tier's Celery workers (only when ``GXQ_WORKER_PRELOAD=1``).

The stack puts this folder on ``PYTHONPATH``; Python imports ``sitecustomize`` at start-up. In a
worker process it imports the heavy libraries the tasks use (SQLAlchemy, psycopg2, matplotlib,
python-docx, openpyxl, Jinja2, Apprise) once: Celery's pool processes and the task processes
Airflow's supervisor forks from them inherit the loaded modules, so each task does not pay
seconds of imports again. Every other process of the stack (and of the machine) skips it.
"""

import os

if os.environ.get("GXQ_WORKER_PRELOAD") == "1":
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib

    for _name in (
        "sqlalchemy", "sqlalchemy.dialects.postgresql", "psycopg2", "alembic", "jinja2",
        "matplotlib", "matplotlib.pyplot", "docx", "openpyxl", "apprise",
    ):
        try:
            importlib.import_module(_name)
        except Exception:  # noqa: BLE001, S112 - a warm-up only: the task imports what it needs
            continue
