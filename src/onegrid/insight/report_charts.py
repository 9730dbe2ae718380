"""The monthly report's charts, drawn with reportlab.graphics (vector, inside the PDF, labels in
the report's CJK font): a line chart of rates (%) by month and a horizontal bar chart.

Both take plain numbers and labels, so that they can be tested and reused without the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

# Series colours: distinguishable in colour and in greyscale print.
PALETTE = [
    colors.HexColor("#b3261e"),
    colors.HexColor("#1f5fa8"),
    colors.HexColor("#2e7d32"),
    colors.HexColor("#6a1b9a"),
]


def _number(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def line_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | float | int | None]]],
    font: str,
    width: float = 460,
    height: float = 220,
) -> Drawing:
    """Lines of `series` ((name, percentages) each) over `categories` (e.g. months), a dot at
    each value, on an axis from 0 to 100%. A missing value (None: nothing to measure that
    month) has no dot; the line joins the dots there are (a series of one dot is drawn as that
    dot)."""
    # The report font from the start: never a reference to the unembedded Helvetica.
    drawing = Drawing(width, height, initialFontName=font)
    drawing.add(String(0, height - 14, title, fontName=font, fontSize=11))
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 50
    chart.width, chart.height = int(width - 60), int(height - 100)
    data = [[_number(v) for v in values] for _name, values in series]
    chart.data = data
    chart.joinedLines = False  # joined per series below, where it has two dots or more
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(categories) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 8 else "n"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labelTextFormat = "%d%%"
    for i, row in enumerate(data):
        colour = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.5
        chart.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=colour)
        # reportlab cannot draw a line through fewer than two points.
        chart.lines[i].lineStyle = "joinedLine" if sum(v is not None for v in row) >= 2 else None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 18
    legend.fontName = font
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 110
    legend.colorNamePairs = [
        (PALETTE[i % len(PALETTE)], name) for i, (name, _values) in enumerate(series)
    ]
    drawing.add(legend)
    return drawing


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | float | int | None],
    font: str,
    width: float = 460,
    bar_height: float = 14,
    percent: bool = False,
) -> Drawing:
    """One horizontal bar per label, the first at the top; values as written beside each bar.
    A None value (nothing to measure) draws no bar."""
    rows = max(len(labels), 1)
    height = rows * bar_height + 50
    # The report font from the start: never a reference to the unembedded Helvetica.
    drawing = Drawing(width, height, initialFontName=font)
    drawing.add(String(0, height - 14, title, fontName=font, fontSize=11))
    chart = HorizontalBarChart()
    chart.x, chart.y = 130, 20
    chart.width, chart.height = int(width - 180), int(rows * bar_height)
    numbers = [_number(v) for v in values]
    # Categories run bottom-up in reportlab: reverse so that the first label is on top.
    chart.data = [[n if n is not None else 0 for n in reversed(numbers)] or [0]]
    chart.categoryAxis.categoryNames = [str(label) for label in reversed(labels)] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    if percent:
        chart.valueAxis.valueMax, chart.valueAxis.valueStep = 100, 20
        chart.valueAxis.labelTextFormat = "%d%%"
    else:
        chart.valueAxis.valueMax = max((n for n in numbers if n is not None), default=1) * 1.15 or 1
    chart.bars[0].fillColor = PALETTE[1]
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.2f%%" if percent else "%d"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing
