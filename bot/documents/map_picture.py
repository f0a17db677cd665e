"""A picture of one problem area: causes → barriers → ideas → resources, in four columns,
with the links between them. matplotlib is imported here only (through its object API, no
pyplot: no global state, safe in a worker thread), and the caller runs it off the loop.
"""

from __future__ import annotations

import io
import textwrap

from bot.i18n import gettext as _
from bot.services.problem_map import AreaPicture, Node, kind_label

COLUMNS = ("cause", "barrier", "idea", "resource")
COLOURS = {
    "cause": "#f4cccc",
    "barrier": "#fce5cd",
    "idea": "#d9ead3",
    "resource": "#cfe2f3",
}
PER_COLUMN = 7


def _label(node: Node) -> str:
    title = node.title if len(node.title) <= 60 else node.title[:57] + "…"
    return f"#{node.id} ({node.support})\n" + "\n".join(textwrap.wrap(title, 22)[:3])


def map_png(area: AreaPicture) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = {kind: [n for n in area.nodes if n.kind == kind][:PER_COLUMN] for kind in COLUMNS}
    rows = max([len(v) for v in columns.values()] + [1])
    figure = Figure(figsize=(12, max(4.0, 1.25 * rows + 1.6)), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.01, 0.01, 0.98, 0.88))
    axes.set_xlim(-0.6, len(COLUMNS) - 0.4)
    axes.set_ylim(rows - 0.4, -0.9)
    axes.axis("off")
    figure.suptitle(area.name, fontsize=15, fontweight="bold")
    where: dict[int, tuple[float, float]] = {}
    for x, kind in enumerate(COLUMNS):
        axes.text(
            x,
            -0.6,
            f"{kind_label(kind).capitalize()} ({area.counts.get(kind, 0)})",
            ha="center",
            va="center",
            fontsize=12,
            fontweight="bold",
        )
        for y, node in enumerate(columns[kind]):
            where[node.id] = (x, y)
            axes.text(
                x,
                y,
                _label(node),
                ha="center",
                va="center",
                fontsize=8.5,
                bbox={
                    "boxstyle": "round,pad=0.4",
                    "facecolor": COLOURS[kind],
                    "edgecolor": "#666666",
                },
                zorder=3,
            )
        if not columns[kind]:
            axes.text(x, 0, "—", ha="center", va="center", fontsize=12, color="#999999")
    for a, b in area.edges:
        if a in where and b in where:
            (x1, y1), (x2, y2) = sorted((where[a], where[b]))
            # A link that skips a column (a cause straight to an idea) bends around it.
            bend = 0.0 if x2 - x1 <= 1 else -0.25
            axes.annotate(
                "",
                xy=(x2 - 0.28, y2),
                xytext=(x1 + 0.28, y1),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "#555555",
                    "lw": 1.1,
                    "connectionstyle": f"arc3,rad={bend}",
                },
                zorder=2,
            )
    figure.text(0.01, 0.01, _("#number (supports); arrows: links"), fontsize=8.5, color="#666666")
    if not area.nodes:
        axes.text(1.5, 1, _("Nothing contributed yet."), ha="center", fontsize=13)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
