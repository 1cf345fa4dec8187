"""``gxqfile://`` — the demo channel (演示通道): one readable file per notice, no account needed.

An Apprise custom plugin (``@notify`` decorator), loaded through Apprise's plugin path API
(``AppriseAsset(plugin_paths=[...])``, see :func:`gxq.notify.channels.asset`). It writes

    $GXQ_OUTPUT_DIR/_notices/<tag>/<dag_id>/<period_key>/<kind>.md      (+ <kind>.files/ attachments)

``gxqfile://`` writes under ``$GXQ_OUTPUT_DIR/_notices``; ``gxqfile:///abs/dir`` under that
directory instead. When the outbox sends, it says which notice this is (recipient tag, DAG,
period, kind, part) through :data:`gxq.notify.channels.CURRENT`; sent from elsewhere (e.g. the
``apprise`` CLI) the file lands in ``<tag>/_adhoc/<UTC timestamp>.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

from apprise.decorators import notify
from gxq.notify.channels import CURRENT
from gxq.output import output_root


def _root(meta: dict) -> Path:
    # gxqfile:///abs/dir parses as host "abs" + path "/dir"
    host = (meta.get("host") or "").strip()
    path = (meta.get("fullpath") or "").strip()
    if host or (path and path != "/"):
        return Path("/" + host + path) if host else Path(path)
    out = os.environ.get("GXQ_OUTPUT_DIR")
    if not out:
        out = str(output_root())
    return Path(out) / "_notices"


def _safe(part: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.\-\u3400-\u9fff]+", "_", str(part)).strip("._") or "_"


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


@notify(on="gxqfile", name="GXQ demo file channel")
def gxqfile(body, title, notify_type, meta, attach=None, *args, **kwargs):
    ctx = CURRENT.get()
    tags = sorted(str(getattr(t, "_tag", t)) for t in (meta.get("tag") or ()))
    tags = [t for t in tags if t.lower() not in ("fallback", "always")]
    if ctx:
        folder = _root(meta) / _safe(ctx["recipient"]) / _safe(ctx["dag_id"]) / _safe(ctx["period_key"])
        stem = _safe(ctx["kind"])
        if ctx.get("parts", 1) > 1:
            stem += f".part{ctx['part']}of{ctx['parts']}"
    else:
        folder = _root(meta) / (_safe(tags[0]) if tags else "_untagged") / "_adhoc"
        stem = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder.mkdir(parents=True, exist_ok=True)
    target = _unique(folder / f"{stem}.md")
    lines = [f"# {title}" if title else "", "", body or ""]
    files = []
    if attach:
        att_dir = target.with_suffix(".files")
        att_dir.mkdir(exist_ok=True)
        for a in attach:
            src = getattr(a, "path", None)
            if not src:
                continue
            name = getattr(a, "name", None) or Path(src).name
            shutil.copyfile(src, att_dir / name)
            files.append(f"- [{name}]({att_dir.name}/{name})")
    if files:
        lines += ["", "---", "附件 / attachments:", *files]
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return True
