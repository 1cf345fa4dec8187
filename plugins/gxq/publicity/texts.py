"""Texts people read (提醒、周报一行), rendered from ``include/templates/publicity/``.

A ``*.md.j2`` template starts with a ``Subject:`` line; the rest is the Markdown body.
"""

from __future__ import annotations

from gxq import templating


def render_text(name: str, **values) -> str:
    return templating.render(f"publicity/{name}", **values)


def render_notice(name: str, **values) -> tuple[str, str]:
    """(subject, body) of a ``<name>.md.j2`` template."""
    return templating.render_notice(f"publicity/{name}.md.j2", **values)
