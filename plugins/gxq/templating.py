"""The project's one Jinja environment (模板): every text a person reads (``include/templates/<area>/``)
and every SQL statement (``include/sql/<source>/``) is rendered through it, under the same rules:

- a value the template names but the caller did not give is an error (``StrictUndefined``);
- HTML templates (``*.html``, ``*.html.j2``) are escaped, nothing else is;
- a block tag on its own line takes that line with it (``trim_blocks``, ``lstrip_blocks``; write
  ``+%}`` where the newline after a tag must stay); files end as written;
- the filters every area may use: ``pct``, ``yuan``, ``when``, ``masked``.

Templates are named by their path under ``include/templates/`` or ``include/sql/``
(``petitions/bulletin.html.j2``, ``petitions/_rules.sql``).
"""

from __future__ import annotations

import datetime as dt
import functools

import jinja2

from gxq.connections import REPO_ROOT
from gxq.masking import mask_text

TEMPLATES = REPO_ROOT / "include" / "templates"
SQL = REPO_ROOT / "include" / "sql"


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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Each template compiled once, not in every task: Jinja keeps the compiled code in a directory
    of this user's own (mode 0700 under the temp directory) and uses it while the source's checksum
    matches. Each task is a process of its own: the urgent watch compiled its statement at each of
    its 144 runs a day (0.06-0.08 s of CPU of its 0.14 s of work)."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except RuntimeError:  # no safe directory of this user's: compile in each process
        return None


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.FileSystemLoader([str(TEMPLATES), str(SQL)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False,
                                            default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the files do not change under a running task
    )
    env.filters.update(pct=pct, yuan=yuan, when=when, masked=mask_text)
    return env


def render(name: str, **values) -> str:
    """The text of the template ``name`` (a path under include/templates or include/sql)."""
    return environment().get_template(name).render(**values)


def render_notice(name: str, **values) -> tuple[str, str]:
    """(subject, body) of a notice template, whose first line is ``Subject: ...``."""
    text = render(name, **values)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {name} must start with a 'Subject:' line")
    return first[len("Subject:"):].strip(), rest.strip() + "\n"
