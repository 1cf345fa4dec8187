"""Notice texts of the notify capability, rendered from ``include/templates/notify/``.

A template ``<name>.md.j2`` starts with a ``Subject:`` line; the rest is the Markdown body.
"""

from __future__ import annotations

from gxq import templating


def render(name: str, **values) -> tuple[str, str]:
    """(subject, body) of ``include/templates/notify/<name>.md.j2``."""
    return templating.render_notice(f"notify/{name}.md.j2", **values)
