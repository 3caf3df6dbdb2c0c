"""Bar charts as geometry for ``partials/bar_chart.jinja``: pure, drawn on the server."""

from dataclasses import dataclass

WIDTH = 400  # the drawing's own units; CSS scales it to the column
ROW = 52  # a label line above each bar
BAR_HEIGHT = 20
LABEL_GAP = 18
VALUE_ROOM = 56  # the number after the longest bar


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    label_y: int
    bar_y: int
    bar_width: float
    value_x: float
    value_y: int


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    bar_height: int


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> BarChart:
    """Bars in the order given, the longest as wide as the drawing allows less room for its
    number; a zero is no bar but still its label and its 0."""
    biggest = max((value for _, value in rows), default=0)
    room = WIDTH - VALUE_ROOM
    bars = []
    for index, (name, value) in enumerate(rows):
        top = index * ROW
        width = round(room * value / biggest, 1) if biggest else 0.0
        bars.append(
            Bar(
                label=name,
                value=value,
                label_y=top + 16,
                bar_y=top + LABEL_GAP + 4,
                bar_width=width,
                value_x=width + 8,
                value_y=top + LABEL_GAP + 4 + 16,
            )
        )
    described = "; ".join(f"{name}: {value}" for name, value in rows) or "No figures yet"
    return BarChart(
        id=chart_id,
        title=title,
        description=described + ".",
        bars=bars,
        width=WIDTH,
        height=max(len(rows), 1) * ROW,
        bar_height=BAR_HEIGHT,
    )
