"""Texts people read (提醒、周报一行、日历告警), rendered from ``include/templates/publicity/``.

A ``*.md.j2`` template starts with a ``Subject:`` line; the rest is the Markdown body.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from gxq.connections import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "include" / "templates" / "publicity"


@lru_cache(maxsize=1)
def _env():
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_text(name: str, **values) -> str:
    return _env().get_template(name).render(**values)


def render_notice(name: str, **values) -> tuple[str, str]:
    """(subject, body) of a ``<name>.md.j2`` template."""
    text = render_text(f"{name}.md.j2", **values)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {name}.md.j2 must start with a 'Subject:' line")
    return first[len("Subject:"):].strip(), rest.strip() + "\n"
