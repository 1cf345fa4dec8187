"""Charts for people (图表): matplotlib on the Agg backend with a CJK font, so Chinese labels
render as characters, not boxes. Import lazily (inside tasks), never at DAG-parse time."""

from __future__ import annotations

import functools
import io

CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
    "SimHei", "Microsoft YaHei", "PingFang SC",
)


class NoCJKFontError(RuntimeError):
    pass


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The first installed CJK font family (Debian: fonts-wqy-microhei, installed by scripts/setup)."""
    # matplotlib is deferred to the tasks that draw: importing matplotlib.pyplot costs ~960 ms
    # (python -X importtime), which every other task of a DAG would pay for nothing.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise NoCJKFontError(
        "no CJK font found for charts: install Debian's fonts-wqy-microhei (scripts/setup.sh does)"
    )


def pyplot():
    """matplotlib.pyplot configured for Chinese text."""
    import matplotlib  # deferred, see cjk_font()

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [cjk_font(), "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def to_png(fig, dpi: int = 120) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()
