"""Server-side HTML of the 营商环境看板 (Jinja template in include/templates/dashboard/)."""

from __future__ import annotations

import datetime as dt

import markdown

from gxq import templating
from gxq.connections import REPO_ROOT
from gxq.dashboard import queries
from gxq.dashboard.svg import sparkline

# The project's reference (数据与报告口径), linked from the 看板's footer and served beside it.
REFERENCE = REPO_ROOT / "docs" / "reference.md"


def _render(name: str, **values) -> str:
    """A page of include/templates/dashboard (gxq.templating's environment and filters)."""
    return templating.render(
        f"dashboard/{name}", sparkline=sparkline, targets=queries.TARGETS, light_labels=queries.LIGHT_LABELS, **values
    )


def render_dashboard(
    sections: dict, *, now: dt.datetime, user: str | None = None, warning: str | None = None,
    unit_names: dict[str, str] | None = None,
) -> str:
    """The 看板; ``unit_names`` ({code: name}, ``queries.unit_names``) names the units, the code
    in a tooltip (a unit without a name shows its code)."""
    return _render("dashboard.html", s=sections, now=now, user=user, warning=warning, unit_names=unit_names or {})


def render_login_required(login_url: str, status_code: int) -> str:
    return (
        _render("login_required.html", login_url=login_url, status_code=status_code)
    )


def render_reference(path=REFERENCE) -> str | None:
    """docs/reference.md as an HTML page (None when the file is not deployed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    body = markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")
    return _render("reference.html", body=body)
