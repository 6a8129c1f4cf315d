"""The org tree through time in conversations: roles that end with a merged unit, and the
demo district's merger as organisers read it in /tonghop."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.core.dispatcher import Dispatcher
from bot.demo import CONSOLE, STAFF_KEY, seed_demo
from bot.domain.org import Role
from bot.domain.tree import MergeRow
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository
from tests.support import COMMUNE, DISTRICT, Chat, Clock, World, make_dispatcher

PROVINCE = "Tỉnh Tây Ninh"
MERGED = date(2025, 7, 1)


async def merge_the_commune(db: Database) -> int:
    """Merge the world's commune into a xã of the province on 1 July 2025; return the xã."""
    org = OrgRepository(db)
    await org.merge([MergeRow(2, (DISTRICT, COMMUNE), (PROVINCE, COMMUNE), MERGED)])
    new = await org.by_path([PROVINCE, COMMUNE])
    assert new is not None
    return new.id


async def test_an_organiser_of_a_merged_commune_is_told_and_loses_access(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    await merge_the_commune(db)
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    replies = await chat.send("/summary")
    assert replies[0].text.startswith(
        "Xã Tân Lân was merged into Xã Tân Lân on Jul 1, 2025. Your access as organiser of "
        "Xã Tân Lân ended with it")
    assert "python -m bot role move" in replies[0].text
    assert not any("Summary of" in r.text for r in replies)  # no area left to read
    again = await chat.send("/standing TL-01")
    assert again[0].text.startswith("Xã Tân Lân was merged")  # no role left: told each time
    assert not any("Standing of" in r.text for r in again)
    district_staff = Chat(dispatcher, "staff", language_code="en")
    [summary] = await district_staff.send("/summary")  # the district is still open
    assert summary.text.startswith("Summary of Huyện Cần Đước")
    # its commune's cells are in the province now: none to report (C16: said, not "0 cells")
    assert "No cell of Huyện Cần Đước was expected to report for Nov 2026" in summary.text


async def test_a_user_with_another_role_is_told_once_and_keeps_the_other(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    users = UserRepository(db)
    admin = await users.ensure("test", "admin", clock())
    await users.grant(admin, Role.STAFF, world.commune_id, clock())
    await merge_the_commune(db)
    chat = Chat(dispatcher, "admin", language_code="en")
    first = await chat.send("/summary")
    assert first[0].text.startswith("Xã Tân Lân was merged into Xã Tân Lân")
    assert first[-1].text.startswith("Summary of Huyện Cần Đước")  # the role left still works
    [second] = await chat.send("/summary")
    assert second.text.startswith("Summary of Huyện Cần Đước")  # told once


async def test_an_organiser_moved_by_an_administrator_reads_the_new_commune(
    dispatcher: Dispatcher, db: Database, world: World, clock: Clock
) -> None:
    new = await merge_the_commune(db)
    await UserRepository(db).move_roles(world.commune_id, new, [Role.STAFF], clock())
    chat = Chat(dispatcher, "commune-staff", language_code="en")
    [summary] = await chat.send("/summary")
    assert summary.text.startswith("Summary of Xã Tân Lân, Nov 2026")
    assert "2 cells" in summary.text  # TL-01 and TL-02, moved with their commune


async def test_the_demo_shows_the_merger_in_the_summaries(db: Database, clock: Clock) -> None:
    await seed_demo(db, clock())
    chat = Chat(make_dispatcher(db, clock), STAFF_KEY, channel=CONSOLE, language_code="en")
    old = "\n".join(r.text for r in await chat.send("/summary 2016"))
    assert old.startswith("Summary of Tỉnh Tây Ninh, year 2016\n102 cells in 17 communes")
    assert "Huyện Cần Đước (merged on Jul 1, 2025)" in old
    assert "Xã Phước Đông" in old or "communes in between are not shown" in old
    now = "\n".join(r.text for r in await chat.send("/summary"))
    assert "102 cells in 6 communes" in now and "Xã Rạch Kiến" in now
    regrouped = "\n".join(r.text for r in await chat.send("/summary 2016 nay"))
    assert "102 cells in 6 communes" in regrouped and "Xã Rạch Kiến" in regrouped
    assert "Grouped under today's units" in regrouped
    reports = [line for line in old.split("\n") if line.startswith("• Regular meeting")]
    assert reports and reports[0] in regrouped  # the same figures, regrouped
    across = "\n".join(r.text for r in await chat.send("/summary 2025"))
    assert "102 cells in 23 communes" in across  # 17 until June, 6 from July
    assert "(until Jun 2025)" in across
    missing = "\n".join(r.text for r in await chat.send("/missing 2016 nay"))
    assert "Xã Rạch Kiến" in missing and "Xã Long Khê (" not in missing


def communes_in(book_bytes: bytes) -> int:
    """Return the workbook's "Number of communes"."""
    book = load_workbook(io.BytesIO(book_bytes))
    rows = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    communes = rows["Number of communes"]
    assert isinstance(communes, int)
    return communes


async def test_the_demo_workbook_and_chart_follow_the_tree_asked_for(
    db: Database, clock: Clock
) -> None:
    await seed_demo(db, clock())
    chat = Chat(make_dispatcher(db, clock), STAFF_KEY, channel=CONSOLE, language_code="en")
    then = [r.attachment for r in await chat.send("/export 2016") if r.attachment]
    today = [r.attachment for r in await chat.send("/export 2016 nay") if r.attachment]
    assert then and today
    assert (then[0].filename, communes_in(then[0].data)) == (
        "summary-tinh-tay-ninh-2016.xlsx", 17)
    assert (today[0].filename, today[0].command, communes_in(today[0].data)) == (
        "summary-tinh-tay-ninh-2016-nay.xlsx", "/export 2016 nay", 6)
    [chart] = [r.attachment for r in await chat.send("/chart 2016 nay") if r.attachment]
    assert chart.filename == "chart-tinh-tay-ninh-2016-nay.png"


async def test_a_workbook_across_the_merger_puts_each_meeting_under_the_commune_of_its_day(
    db: Database, clock: Clock
) -> None:
    await seed_demo(db, clock())
    chat = Chat(make_dispatcher(db, clock), STAFF_KEY, channel=CONSOLE, language_code="en")
    [book] = [r.attachment for r in await chat.send("/export 2025") if r.attachment]
    sheet = load_workbook(io.BytesIO(book.data))["Meetings"]
    communes = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[1] == "PDO-01" and row[4] == "Regular":
            assert isinstance(row[3], datetime)
            communes[row[3].month] = row[0]
    assert {communes[m] for m in range(1, 7) if m in communes} == {"Xã Phước Đông"}
    assert {communes[m] for m in range(7, 13) if m in communes} == {"Xã Tân Lân"}
