"""Charts for a phone: every Vietnamese letter drawn, at most about 20 bars, a readable size."""

from __future__ import annotations

import struct
import unicodedata
import warnings
from datetime import date
from fractions import Fraction

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.flow import Ctx
from bot.core.messages import Inbound
from bot.domain.meetings import MeetingKind
from bot.domain.org import CellRow
from bot.domain.periods import Period, PeriodKind
from bot.exports.charts import Chart, Row, Threshold, chart_png, draw, missing_glyphs
from bot.i18n import translator
from bot.storage.database import Database
from bot.storage.meetings import MeetingRepository
from bot.storage.org import OrgRepository
from handlers.export import chart_of
from tests.exports.area import Area, seed_area
from tests.support import DISTRICT, Clock, World, sample_meeting

NOVEMBER = Period(PeriodKind.MONTH, 2026, 11)
PHONE_PIXELS = 1280  # Telegram shows a photo at up to 1280 px on its longer side
VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng


def vietnamese_letters() -> str:
    """Every letter Vietnamese writes: each vowel with each tone, đ, in both cases."""
    letters = [unicodedata.normalize("NFC", v + tone) for v in VOWELS for tone in ("", *TONES)]
    lower = "".join(letters) + "bcdđghklmnpqrstvx"
    return lower + lower.upper()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def drawn(chart: Chart) -> bytes:
    """Draw the chart here, recording every warning (a missing glyph is one)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = chart_png(chart)
    assert [str(w.message) for w in caught] == []
    return data


@pytest.fixture
async def area(db: Database, clock: Clock, world: World) -> Area:
    return await seed_area(db, clock(), world)


async def context(dispatcher: Dispatcher, key: str, language: str) -> Ctx:
    return await dispatcher.context_for(Inbound("test", key, language_code=language))


def test_the_charts_font_has_every_vietnamese_letter_and_the_check_can_tell() -> None:
    assert len(vietnamese_letters()) == 2 * (12 * 6 + 17)
    assert missing_glyphs([vietnamese_letters(), "—…%:/()"]) == set()
    assert missing_glyphs(["Chi bộ 漢"]) == {"漢"}  # a letter it lacks is found


def test_a_letter_the_font_lacks_is_a_warning_and_so_an_error_in_the_suite() -> None:
    chart = Chart("漢", "", [Row("A", Fraction(1, 2), Fraction(1, 2))], "a", "r", [],
                  lambda share: f"{share:.0%}")
    with pytest.warns(UserWarning, match="missing from font"):
        chart_png(chart)


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_the_areas_chart_has_no_missing_glyph_and_fits_a_phone(
    dispatcher: Dispatcher, area: Area, language: str
) -> None:
    ctx = await context(dispatcher, "staff", language)
    district = await OrgRepository(ctx.db).get(area.world.district_id)
    assert district is not None
    chart = await chart_of(ctx, district, NOVEMBER, by_month=False)
    assert [r.label for r in chart.rows] == ["Xã Tân Lân", "Xã Phước Đông"]  # 1 of 2, 1 of 1
    assert missing_glyphs(chart.texts()) == set()
    assert "Huyện Cần Đước" in chart.title
    width, height = png_size(drawn(chart))
    assert width == 1080 and height <= PHONE_PIXELS
    t = translator(language)
    assert [x.label for x in chart.thresholds] == [
        t("Attendance criterion: more than {share}", share=t.percent(0.85)),
        t("Below {share}: too few attended", share=t.percent(2 / 3, places=0)),
    ]
    assert [x.share for x in chart.thresholds] == [Fraction(17, 20), Fraction(2, 3)]


async def test_a_commune_is_drawn_cell_by_cell_lowest_reporting_rate_first(
    dispatcher: Dispatcher, area: Area
) -> None:
    ctx = await context(dispatcher, "commune-staff", "en")
    commune = await OrgRepository(ctx.db).get(area.world.commune_id)
    assert commune is not None
    chart = await chart_of(ctx, commune, NOVEMBER, by_month=False)
    assert chart.subtitle == "By cell, lowest reporting rate first"
    assert [(r.label, r.reporting, r.attendance) for r in chart.rows] == [
        ("Chi bộ ấp Chợ", Fraction(0), None),  # no report, no meeting
        ("Chi bộ ấp Xóm Chùa", Fraction(1), Fraction(36, 38)),
    ]


async def test_many_communes_show_the_lowest_and_highest_five_and_how_many_between(
    db: Database, dispatcher: Dispatcher, clock: Clock, world: World
) -> None:
    org, meetings = OrgRepository(db), MeetingRepository(db)
    rows = [CellRow(line, (DISTRICT, f"Xã Số {n:02d}", "Chi bộ ấp Một"), f"S{n:02d}", 10, 0, 0)
            for line, n in enumerate(range(1, 12), start=2)]
    await org.import_cells(rows, at=clock())
    for n in range(1, 12):
        cell = await org.by_code(f"S{n:02d}")
        assert cell is not None
        if n % 2:  # the odd communes reported their month
            await meetings.save(sample_meeting(cell_id=cell.id, expected=10, present=n % 10,
                                               excused=0, held_on=date(2026, 11, 3)),
                                regular=True, by_user=None, at=clock())
    ctx = await context(dispatcher, "staff", "en")
    district = await org.get(world.district_id)
    assert district is not None
    chart = await chart_of(ctx, district, NOVEMBER, by_month=False)
    bars = [r for r in chart.rows if not r.gap]
    assert len(bars) == 10 and len(bars) * chart.bars <= 20  # 12 communes, 5 + 5 shown
    assert [r.label for r in chart.rows if r.gap] == ["… 2 communes in between"]
    rates = [r.reporting for r in bars]
    assert rates == sorted(rates, key=lambda x: (x is None, x))  # lowest first
    assert rates[0] == 0 and rates[-1] == 1
    width, height = png_size(drawn(chart))
    assert width == 1080 and height <= PHONE_PIXELS


async def test_a_year_is_drawn_month_by_month_and_a_cell_shows_its_own_months(
    db: Database, dispatcher: Dispatcher, area: Area
) -> None:
    tl01 = area.world.cell_ids["TL-01"]
    await MeetingRepository(db).save(
        sample_meeting(cell_id=tl01, held_on=date(2026, 3, 12), kind=MeetingKind.REGULAR,
                       expected=19, present=15, excused=4),
        regular=True, by_user=None, at=dispatcher.now())
    ctx = await context(dispatcher, "commune-staff", "en")
    org = OrgRepository(db)
    commune, cell = await org.get(area.world.commune_id), await org.get(tl01)
    assert commune is not None and cell is not None
    year = await chart_of(ctx, commune, NOVEMBER, by_month=True)
    assert [r.label for r in year.rows] == [f"{m} 2026" for m in (
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov")]
    march = year.rows[2]
    assert (march.reporting, march.attendance) == (Fraction(1, 2), Fraction(15, 19))
    assert year.title == "Reporting and attendance: Xã Tân Lân, year 2026"
    assert year.reporting_label is not None
    own = await chart_of(ctx, cell, NOVEMBER, by_month=False)
    assert own.reporting_label is None and own.bars == 1  # attendance only
    assert own.rows[2].attendance == Fraction(15, 19)
    assert own.rows[0].note == "no meeting reported" and own.rows[0].attendance is None
    for chart in (year, own):
        width, height = png_size(drawn(chart))
        assert width == 1080 and height <= PHONE_PIXELS


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_value_is_written_across_a_threshold_line(language: str) -> None:
    # D17: "80%" after its bar was written across the dashed 85 % line.
    t = translator(language)
    lines = [Threshold(Fraction(17, 20), "criterion"), Threshold(Fraction(2, 3), "too few")]
    values = [Fraction(n, 100) for n in (5, 60, 62, 65, 66, 70, 78, 80, 83, 84, 85, 86, 100)]
    rows = [Row(f"Ấp {n}", value, value) for n, value in enumerate(values, start=1)]
    chart = Chart("Xã Tân Lân", "", rows, "attendance", "reporting", lines,
                  lambda share: t.percent(share))
    [axes] = draw(chart).axes
    to_data = axes.transData.inverted()
    labels = [text for text in axes.texts if text.get_text() != "—"]
    assert len(labels) == 2 * len(values)
    for text, value in zip(labels, [v for v in values for _ in (1, 2)], strict=True):
        box = text.get_window_extent().transformed(to_data)
        for line in lines:
            assert not box.x0 <= float(line.share) <= box.x1, (text.get_text(), line.share)
        # and each value stays by its bar: just after its end, just inside, or past the line
        ends = [float(value), *(float(x.share) for x in lines if x.share > value)]
        assert (0 < box.x0 - ends[0] < 0.03 or 0 < ends[0] - box.x1 < 0.03
                or any(0 < box.x0 - end < 0.03 for end in ends[1:])), text.get_text()
