"""Server-side HTML of the 营商环境看板 (Jinja template in include/templates/dashboard/)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import jinja2

from gxq.connections import REPO_ROOT
from gxq.dashboard import queries
from gxq.dashboard.svg import sparkline
from gxq.masking import mask_text

TEMPLATE_DIR = REPO_ROOT / "include" / "templates" / "dashboard"
# The project's reference (数据与报告口径), linked from the 看板's footer and served beside it.
REFERENCE = REPO_ROOT / "docs" / "reference.md"


def pct(value, digits: int = 1) -> str:
    """0.9567 -> '95.7%'; None (no denominator) -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def yuan(value) -> str:
    """Amounts in yuan with thousands separators: 1300000 -> '1,300,000'."""
    if value is None:
        return "—"
    value = float(value)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def when(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


@lru_cache(maxsize=1)
def environment():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=pct, yuan=yuan, when=when, masked=mask_text)
    env.globals.update(sparkline=sparkline, targets=queries.TARGETS, light_labels=queries.LIGHT_LABELS)
    return env


def render_dashboard(
    sections: dict, *, now: dt.datetime, user: str | None = None, warning: str | None = None
) -> str:
    return (
        environment().get_template("dashboard.html").render(s=sections, now=now, user=user, warning=warning)
    )


def render_login_required(login_url: str, status_code: int) -> str:
    return (
        environment().get_template("login_required.html").render(login_url=login_url, status_code=status_code)
    )


def render_reference(path=REFERENCE) -> str | None:
    """docs/reference.md as an HTML page (None when the file is not deployed)."""
    import markdown

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    body = markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")
    return environment().get_template("reference.html").render(body=body)
