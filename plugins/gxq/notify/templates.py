"""Notice texts of the notify capability, rendered from ``include/templates/notify/``.

A template ``<name>.md.j2`` starts with a ``Subject:`` line; the rest is the Markdown body.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from gxq.connections import REPO_ROOT

TEMPLATE_DIR = REPO_ROOT / "include" / "templates" / "notify"


@lru_cache(maxsize=1)
def _env():
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **values) -> tuple[str, str]:
    """(subject, body) of ``include/templates/notify/<name>.md.j2``."""
    text = _env().get_template(f"{name}.md.j2").render(**values)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {name}.md.j2 must start with a 'Subject:' line")
    return first[len("Subject:"):].strip(), rest.strip() + "\n"
