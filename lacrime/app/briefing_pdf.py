"""The weekly briefing as two printable pages (fpdf2), readable on US Letter and on A4.

Everything is laid out in the box both papers hold (186 x 255 mm inside 12 mm margins), so
the same briefing prints whole on either; the text is at least 8 pt. The map is drawn with
fpdf2's own polygons from the cells' boundaries: no tiles, no browser, nothing fetched.
Text uses the PDF core font Helvetica, so it is written in Latin-1 (`_latin1`).
"""

import math

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from lacrime.app.briefing import Briefing, cell_ring
from lacrime.app.decision import ZONE_COLOUR

PAPERS = {"letter": "letter", "a4": "A4"}
MARGIN = 12.0
WIDTH = 186.0  # the width both papers hold inside the margins
HEIGHT = 255.0
MAP_SIZE = 92.0
BODY_PT = 8.5
FLAGGED = (227, 26, 28)  # the map page's second-riskiest red
AREA_FILL = (236, 236, 236)
HEATING = (84, 39, 136)  # as the emerging layer's heating-up purple


def briefing_pdf(briefing: Briefing, paper: str = "letter") -> bytes:
    """The briefing's two pages on `paper` ("letter" or "a4") as PDF bytes."""
    pdf = FPDF(orientation="portrait", unit="mm", format=PAPERS[paper.lower()])
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Weekly briefing: {briefing.place}, week of {briefing.window[0]:%d %b %Y}")
    pdf.set_creator("lacrime")
    _first_page(pdf, briefing)
    _second_page(pdf, briefing)
    return bytes(pdf.output())


def _latin1(text: object) -> str:
    """Text the core font can write: dashes and symbols outside Latin-1 spelled plainly."""
    table = {"\u2013": "-", "\u2014": "-", "\u2264": "<=", "\u2265": ">=", "\u00d7": "x"}
    text = "".join(table.get(ch, ch) for ch in str(text))
    return text.encode("latin-1", "replace").decode("latin-1")


def _heading(pdf: FPDF, text: str, size: float = 11) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(WIDTH, 6, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", BODY_PT)


def _lines(pdf: FPDF, lines: list[str], width: float = WIDTH, bullet: str = "- ") -> None:
    pdf.set_font("Helvetica", "", BODY_PT)
    x = pdf.get_x()
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 4, _latin1(bullet + line), new_x=XPos.LEFT, new_y=YPos.NEXT)


def _table(pdf: FPDF, header: list[str], rows: list[list[object]], widths: list[float]) -> None:
    pdf.set_font("Helvetica", "", BODY_PT)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        line_height=4,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for text in header:
            head.cell(_latin1(text))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_latin1(value))


def _first_page(pdf: FPDF, b: Briefing) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    title = f"Weekly briefing: {b.place}"
    pdf.cell(WIDTH, 8, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    week = (
        f"Week of {b.window[0]:%a %d %b} to {b.window[1]:%a %d %b %Y}, "
        f"forecast as of {b.as_of:%d %b %Y}"
    )
    pdf.cell(WIDTH, 5, _latin1(week), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if b.synthetic:
        pdf.set_text_color(180, 0, 0)
        pdf.cell(
            WIDTH, 5, "SYNTHETIC DEMO DATA - not real reports", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    _heading(pdf, "Headline")
    _lines(pdf, b.headline)
    pdf.ln(2)
    top = pdf.get_y()
    _map(pdf, b, MARGIN, top, MAP_SIZE)
    pdf.set_xy(MARGIN + MAP_SIZE + 4, top)
    side = WIDTH - MAP_SIZE - 4
    _heading(pdf, "Expected reports per watch, next week")
    pdf.set_x(MARGIN + MAP_SIZE + 4)
    _table(
        pdf,
        ["watch", "hours", "expected", "share", "last week"],
        [
            [r.watch, r.hours, f"{r.expected_reports:.0f}", f"{r.share_of_day:.0%}", r.last_week]
            for r in b.per_watch.itertuples()
        ],
        [side * w for w in (0.2, 0.3, 0.18, 0.14, 0.18)],
    )
    pdf.set_x(MARGIN + MAP_SIZE + 4)
    _lines(
        pdf,
        [
            "Expected: the watch model's forecast for the area's cells. Last week: reports "
            "of known time in that watch (12:00 and 00:01, default times, in no watch).",
        ],
        width=side,
        bullet="",
    )
    pdf.set_y(max(pdf.get_y(), top + MAP_SIZE + 10) + 2)
    _plans(pdf, b)


def _plans(pdf: FPDF, b: Briefing) -> None:
    _heading(pdf, "Patrol plan: zones of neighbouring flagged cells, busiest first")
    rows_left = 14 if len(b.plans) == 1 else 4
    for watch, plan in b.plans.items():
        if len(b.plans) > 1:
            pdf.set_font("Helvetica", "B", BODY_PT)
            pdf.cell(
                WIDTH,
                5,
                _latin1(f"{watch.capitalize()} watch"),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        rows = [
            [
                z.zone,
                len(z.cells),
                f"{z.expected_reports:.1f}",
                f"{z.share_of_area:.0%}" if z.share_of_area is not None else "-",
                ", ".join(z.streets) or "no street recorded",
            ]
            for z in plan.zones[:rows_left]
        ]
        if not rows:
            _lines(pdf, ["no cell flagged"], bullet="")
            continue
        _table(
            pdf,
            ["zone", "cells", "expected", "share", "streets most reported"],
            rows,
            [12, 12, 18, 14, 130],
        )
        if len(plan.zones) > rows_left:
            _lines(
                pdf,
                [f"... and {len(plan.zones) - rows_left} smaller zone(s) in the CSV."],
                bullet="",
            )
        pdf.ln(1)


def _second_page(pdf: FPDF, b: Briefing) -> None:
    pdf.add_page()
    _heading(pdf, "Emerging hot spots (what is heating up)")
    counts = ", ".join(f"{p}: {n}" for p, n in b.patterns.items()) or "no cell"
    _lines(pdf, [f"Cells per pattern over {b.slices}: {counts}."], bullet="")
    if len(b.heating):
        columns = [
            "Pattern",
            "Area",
            "Cell",
            "Hot slices",
            "Gi* z (last slice)",
            "Trend (Kendall tau)",
        ]
        rows = [[r[c] for c in columns] for _, r in b.heating.iterrows()]
        _table(pdf, columns, rows, [38, 26, 34, 20, 30, 38])
    _lines(
        pdf,
        [
            "Getis-Ord Gi* per cell and slice (esda), FDR-corrected at 5%; trend by Mann-Kendall "
            "on each cell's z-scores. Patterns as in ArcGIS's Emerging Hot Spot Analysis.",
        ],
        bullet="",
    )
    pdf.ln(2)
    _heading(pdf, "How the forecast did in the last weeks (city-wide, PAI at 5% of the area)")
    if len(b.track_record):
        rows = [
            [r.week, r.watch, r.model, f"{r.pai_5:.2f}", f"{r.all_day_pai_5:.2f}"]
            for r in b.track_record.itertuples()
        ]
        _table(
            pdf,
            ["week from", "watch", "model", "PAI at 5%", "all-day counts"],
            rows,
            [26, 22, 44, 24, 30],
        )
    else:
        _lines(pdf, ["No evaluation yet: run `lacrime train`."], bullet="")
    pdf.ln(2)
    _heading(pdf, "Data freshness and caveats")
    _lines(pdf, b.freshness)
    pdf.ln(1)
    _heading(pdf, "What was left out, and why")
    _lines(
        pdf,
        ["Victim demographics (age, sex, descent) are dropped at ingest and never used."]
        + [reason for _, reason in b.exclusions]
        + ["Sex offences count in every figure but no street or cell of a single one is named."],
    )
    pdf.ln(1)
    _heading(pdf, "Filters, model and data")
    _lines(pdf, b.filters + [f"model version: {b.model_version}", f"dataset: {b.dataset}"])


def _map(pdf: FPDF, b: Briefing, x0: float, y0: float, size: float) -> None:
    """The area's cells in grey, its outline, the flagged cells, the zones outlined and
    numbered, and the heating-up cells ringed, fitted into a `size` mm square."""
    shapes = b.shapes
    points = [p for ring in shapes.outline for p in ring]
    lat0 = sum(p[1] for p in points) / len(points)
    scale_x = math.cos(math.radians(lat0))
    xs = [p[0] * scale_x for p in points]
    ys = [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1e-3
    k = (size - 4) / span
    left = x0 + 2 + ((size - 4) - (max(xs) - min(xs)) * k) / 2
    top = y0 + 2 + ((size - 4) - (max(ys) - min(ys)) * k) / 2

    def page(ring: list[list[float]]) -> list[tuple[float, float]]:
        return [
            (left + (lon * scale_x - min(xs)) * k, top + (max(ys) - lat) * k) for lon, lat in ring
        ]

    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    pdf.rect(x0, y0, size, size)
    pdf.set_fill_color(*AREA_FILL)
    for cell in shapes.cells:
        pdf.polygon(page(cell_ring(cell)), style="F")
    pdf.set_fill_color(*FLAGGED)
    for cell in shapes.flagged.get(b.map_watch, []):
        pdf.polygon(page(cell_ring(cell)), style="F")
    pdf.set_draw_color(*HEATING)
    pdf.set_line_width(0.5)
    for cell in shapes.heating_up:
        pdf.polygon(page(cell_ring(cell)), style="D")
    pdf.set_draw_color(40, 40, 40)
    pdf.set_line_width(0.4)
    for ring in shapes.outline:
        pdf.polygon(page(ring), style="D")
    pdf.set_draw_color(*ZONE_COLOUR[:3])
    pdf.set_line_width(0.7)
    pdf.set_font("Helvetica", "B", 7)
    for number, rings in shapes.zones.get(b.map_watch, []):
        for ring in rings:
            pdf.polygon(page(ring), style="D")
        corner = max(page(rings[0]), key=lambda p: (p[0], -p[1]))
        pdf.text(corner[0] + 0.5, corner[1], str(number))
    _legend(pdf, b, x0, y0 + size + 1)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def _legend(pdf: FPDF, b: Briefing, x: float, y: float) -> None:
    pdf.set_font("Helvetica", "", 7)
    pdf.set_xy(x, y)
    label = f"flagged cell, {b.map_watch} watch"
    pdf.set_fill_color(*FLAGGED)
    pdf.rect(pdf.get_x(), y + 0.8, 3, 3, style="F")
    pdf.set_x(pdf.get_x() + 4)
    pdf.cell(pdf.get_string_width(label) + 3, 4.5, _latin1(label))
    pdf.set_draw_color(*ZONE_COLOUR[:3])
    pdf.rect(pdf.get_x(), y + 0.8, 3, 3, style="D")
    pdf.set_x(pdf.get_x() + 4)
    pdf.cell(18, 4.5, "zone (number)")
    pdf.set_draw_color(*HEATING)
    pdf.rect(pdf.get_x(), y + 0.8, 3, 3, style="D")
    pdf.set_x(pdf.get_x() + 4)
    pdf.cell(20, 4.5, "heating up")
