"""Inline SVG sparklines (趋势小图): no JavaScript, no CDN, works offline and in screenshots."""

from __future__ import annotations

from markupsafe import Markup, escape


def sparkline(
    values: list[float | None],
    *,
    width: int = 160,
    height: int = 36,
    target: float | None = None,
    labels: list[str] | None = None,
    percent: bool = True,
    title: str = "",
) -> Markup:
    """A polyline of ``values`` (None = no data that week: a gap), with a dashed target line.

    The vertical scale spans the values and the target, so a drop from 100% to 96% is visible;
    the last point is drawn as a dot, red when below the target.
    """
    pad = 4
    present = [v for v in values if v is not None]
    if not present:
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" role="img" aria-label="无数据">'
            f'<text x="4" y="{height // 2 + 4}" font-size="11" fill="#999">无数据</text></svg>'
        )
    lo = min(present + ([target] if target is not None else []))
    hi = max(present + ([target] if target is not None else []))
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    n = len(values)
    step = (width - 2 * pad) / max(n - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + i * step
        y = pad + (hi - v) / (hi - lo) * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    parts = [
        (
            f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}">'
        )
    ]
    if target is not None:
        _, ty = xy(0, target)
        parts.append(
            f'<line x1="{pad}" y1="{ty}" x2="{width - pad}" y2="{ty}" stroke="#c0392b" '
            'stroke-width="1" stroke-dasharray="3,3" opacity="0.7"/>'
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(i, v)
        segment.append(f"{x},{y}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) == 1:
            x, y = seg[0].split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="1.5" fill="#2c6fbb"/>')
        else:
            parts.append(
                f'<polyline fill="none" stroke="#2c6fbb" stroke-width="1.6" points="{" ".join(seg)}"/>'
            )
    for i, v in enumerate(values):
        if v is None:
            continue
        x, y = xy(i, v)
        label = (labels[i] + ": ") if labels and i < len(labels) else ""
        text = f"{v * 100:.1f}%" if percent else f"{v:g}"
        last = i == max(j for j, w in enumerate(values) if w is not None)
        colour = "#c0392b" if (target is not None and v < target - 1e-9) else "#2c6fbb"
        r = 2.8 if last else 1.6
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="{colour}"><title>{escape(label + text)}</title></circle>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
