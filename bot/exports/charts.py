"""Bar charts for a phone: reporting and attendance rates, one row a unit or a month.

    Chart(title, rows, thresholds, …) ──► chart_png ──► a PNG about 1080 px wide

Matplotlib's object API on the Agg canvas (no pyplot, no global state: charts may be drawn in
several threads at once). Every text uses DejaVu Sans, the font matplotlib ships, which has
every Vietnamese letter; `missing_glyphs` tells which characters of a text it lacks.
Matplotlib is imported with the first chart, so the bot starts without waiting for it.
Rows are drawn top to bottom in the order given; a gap row stands for units left out between
the lowest and the highest.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # matplotlib is imported with the first chart (it takes a third of a second)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

FONT = "DejaVuSans.ttf"  # shipped with matplotlib; has every Vietnamese letter
BOLD_FONT = "DejaVuSans-Bold.ttf"
DPI = 150
WIDTH_INCHES = 7.2  # 1080 px: a phone's screen width; Telegram keeps photos up to 1280 px
MARGIN_INCHES = 0.25  # above the title, and between the header's parts
LINE_INCHES = {"title": 0.36, "subtitle": 0.3, "legend": 0.3}  # a line of each
TITLE_CHARACTERS = 44
FOOTER_INCHES = 0.55  # the percent axis
ROW_INCHES = {1: 0.42, 2: 0.52}  # by bars a row; less when the picture would be too tall
MAX_INCHES = 1280 / DPI  # Telegram shows a photo at up to 1280 px on its longer side
LABEL_CHARACTERS = 18  # a row label wraps onto a second line beyond this
REPORTING_COLOUR = "#1f5fa8"
ATTENDANCE_COLOUR = "#e0892b"
INSIDE_COLOURS = {REPORTING_COLOUR: "white", ATTENDANCE_COLOUR: "black"}  # a value on its bar
THRESHOLD_STYLES: tuple[Literal["--", ":"], ...] = ("--", ":")  # dashed, then dotted
SIZES = {"title": 17, "subtitle": 13, "label": 14, "value": 12, "legend": 12}  # points
X_MAX = 1.18  # the axis's end: room for the value after a full bar (100 % = 1)
VALUE_GAP = 0.015  # between a bar's end and its value, in axis units
LINE_CLEARANCE = 0.01  # kept free on each side of a threshold line, in axis units


@dataclass(frozen=True)
class Row:
    """One unit or month: its rates (None: nothing to divide), or a note instead of bars."""

    label: str
    reporting: Fraction | None = None
    attendance: Fraction | None = None
    note: str = ""  # written where the bars would be ("not reported")
    gap: bool = False  # a row standing for the units not shown between


@dataclass(frozen=True)
class Threshold:
    share: Fraction
    label: str  # for the legend: "attendance criterion: more than 85%"


@dataclass(frozen=True)
class Chart:
    title: str  # the scope and the period
    subtitle: str  # how the rows are ordered, or what a row is
    rows: Sequence[Row]
    attendance_label: str
    reporting_label: str | None  # None: attendance bars only (a cell's own months)
    thresholds: Sequence[Threshold]
    percent: Callable[[float], str]  # 0.85 → "85%", in the user's language

    @property
    def bars(self) -> int:
        """Return the bars of each row: two, or one without the reporting rate."""
        return 1 if self.reporting_label is None else 2

    def texts(self) -> list[str]:
        """Return every text the picture shows (to check the font has their letters)."""
        labels = [self.title, self.subtitle, self.attendance_label, self.reporting_label or ""]
        labels += [t.label for t in self.thresholds]
        labels += [text for row in self.rows for text in (row.label, row.note)]
        return [*labels, *(self.percent(x / 4) for x in range(5))]


def font_file(name: str = FONT) -> Path:
    """Return the path of one of the fonts matplotlib ships."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def missing_glyphs(texts: Iterable[str], font: Path | None = None) -> set[str]:
    """Return the characters of `texts` that the font (the charts' own) cannot draw."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(font or font_file())).get_charmap()
    return {c for text in texts for c in text if not c.isspace() and ord(c) not in charmap}


def chart_png(chart: Chart) -> bytes:
    """Draw the chart and return the PNG's bytes."""
    buffer = io.BytesIO()
    draw(chart).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def draw(chart: Chart) -> Figure:
    """Draw the chart on a figure of its own (on the Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    rows = len(chart.rows)
    title = textwrap.fill(chart.title, TITLE_CHARACTERS)
    legend = _legend(chart)
    columns = 2 if len(legend) > 3 else 1
    # The header, from the top: title, subtitle, legend (inches).
    subtitle_at = MARGIN_INCHES + LINE_INCHES["title"] * (title.count("\n") + 1) + 0.1
    legend_at = subtitle_at + LINE_INCHES["subtitle"] + 0.1
    header = legend_at + LINE_INCHES["legend"] * -(-len(legend) // columns) + MARGIN_INCHES
    height = min(MAX_INCHES, header + FOOTER_INCHES + ROW_INCHES[chart.bars] * max(rows, 1))
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.33, FOOTER_INCHES / height, 0.62,
                            1 - (header + FOOTER_INCHES) / height))
    font = {name: FontProperties(fname=font_file(), size=size) for name, size in SIZES.items()}
    bold = FontProperties(fname=font_file(BOLD_FONT), size=SIZES["title"])
    axes.set_xlim(0, X_MAX)  # before the values: they are placed by their drawn width
    _draw_rows(axes, chart, font["value"])
    axes.set_ylim(rows - 0.5, -0.5)  # the first row on top
    axes.set_yticks(range(rows), [_wrapped(r.label) for r in chart.rows],
                    fontproperties=font["label"])
    for tick, row in zip(axes.get_yticklabels(), chart.rows, strict=True):
        if row.gap:
            tick.set_color("#666666")
    axes.set_xticks([x / 4 for x in range(5)], [chart.percent(x / 4) for x in range(5)],
                    fontproperties=font["value"])
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    for threshold, style in zip(chart.thresholds, THRESHOLD_STYLES, strict=False):
        axes.axvline(float(threshold.share), color="#b22222", linestyle=style, linewidth=1.6)
    figure.text(0.03, 1 - MARGIN_INCHES / height, title, va="top", fontproperties=bold)
    figure.text(0.03, 1 - subtitle_at / height, chart.subtitle, va="top", color="#444444",
                fontproperties=font["subtitle"])
    figure.legend(handles=legend, loc="upper left", ncols=columns, frameon=False,
                  bbox_to_anchor=(0.025, 1 - legend_at / height), prop=font["legend"],
                  borderaxespad=0, borderpad=0)
    return figure


def _draw_rows(axes: Axes, chart: Chart, font: FontProperties) -> None:
    colours = [ATTENDANCE_COLOUR] if chart.bars == 1 else [REPORTING_COLOUR, ATTENDANCE_COLOUR]
    height = 0.8 / chart.bars
    lines = [float(t.share) for t in chart.thresholds[:len(THRESHOLD_STYLES)]]
    for y, row in enumerate(chart.rows):
        if row.gap:
            continue
        if row.note:
            axes.text(0.01, y, row.note, va="center", color="#666666", fontproperties=font)
            continue
        values = [row.attendance] if chart.bars == 1 else [row.reporting, row.attendance]
        for index, (value, colour) in enumerate(zip(values, colours, strict=True)):
            offset = (index - (chart.bars - 1) / 2) * height
            width = 0.0 if value is None else float(value)
            axes.barh(y + offset, width, height=height * 0.9, color=colour)
            shown = "—" if value is None else chart.percent(width)
            label = axes.text(width + VALUE_GAP, y + offset, shown, va="center",
                              fontproperties=font)
            _clear_of_lines(axes, label, width, lines, INSIDE_COLOURS[colour])


def _clear_of_lines(axes: Axes, label: Text, end: float, lines: Sequence[float],
                    inside_colour: str) -> None:
    """Move a bar's value off the threshold lines: into the bar's end, else past the line.

    A value written across a dashed line is hard to read ("80%" over the 85 % line).
    """
    pixels_per_unit = axes.get_window_extent().width / X_MAX  # as drawn on the Agg canvas
    span = label.get_window_extent().width / pixels_per_unit
    places = [(end + VALUE_GAP, False), (end - VALUE_GAP, True)]  # (x, inside the bar)
    places += [(line + LINE_CLEARANCE, False) for line in lines if line > end]
    for x, inside in places:
        left = x - span if inside else x
        clear = all(not left - LINE_CLEARANCE < line < left + span + LINE_CLEARANCE
                    for line in lines)
        if clear and left >= VALUE_GAP / 2:
            label.set_x(x)
            if inside:
                label.set_horizontalalignment("right")
                label.set_color(inside_colour)
            return


def _legend(chart: Chart) -> list[Patch | Line2D]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Patch | Line2D] = []
    if chart.reporting_label is not None:
        handles.append(Patch(color=REPORTING_COLOUR, label=chart.reporting_label))
    handles.append(Patch(color=ATTENDANCE_COLOUR, label=chart.attendance_label))
    for threshold, style in zip(chart.thresholds, THRESHOLD_STYLES, strict=False):
        handles.append(Line2D([], [], color="#b22222", linestyle=style, linewidth=1.6,
                              label=threshold.label))
    return handles


def _wrapped(label: str) -> str:
    return textwrap.fill(label, LABEL_CHARACTERS, max_lines=2, placeholder="…")
