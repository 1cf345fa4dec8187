"""Run outputs (产出文件): ``$GXQ_OUTPUT_DIR/<dag_id>/<period_key>/``.

``report.json`` is the machine-readable contract (UTF-8, ``ensure_ascii=False``); beside it
live the files people read (HTML, xlsx, docx, charts). Every file is written to a temporary
name and renamed, so a reader never sees half a file, and ``report.json`` is written last, so
a run that fails part-way publishes no report.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from gxq.connections import REPO_ROOT


def output_root() -> Path:
    return Path(os.environ.get("GXQ_OUTPUT_DIR") or REPO_ROOT / "output")


def period_dir(dag_id: str, period_key: str) -> Path:
    path = output_root() / dag_id / period_key
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def report_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"


def write_report(dag_id: str, period_key: str, report: dict) -> Path:
    """Publish ``report.json`` for a run (atomically)."""
    return write_text(period_dir(dag_id, period_key) / "report.json", report_json(report))
