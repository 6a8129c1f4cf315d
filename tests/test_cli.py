"""The command line, run as a real process: demo, org import, invite, export, shell, settings."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "CHIBO_"))}
    # English unless a test asks otherwise: assertions read English, not a translation.
    environment.update({"CHIBO_DB": str(tmp_path / "chibo.sqlite3"), "CHIBO_LOCALE": "en",
                        **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=environment, input=stdin,
        capture_output=True, text=True, timeout=60,
    )


def test_org_import_then_reimport_updates(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-02,12,0,0\n",
        encoding="utf-8",
    )
    first = run_cli(tmp_path, "org", "import", str(csv))
    assert first.returncode == 0, first.stderr
    assert "2 cells created, 0 cells updated" in first.stdout
    second = run_cli(tmp_path, "org", "import", str(csv))
    assert "0 cells created, 2 cells updated" in second.stdout
    assert "2 cells have 9 or more full members" in second.stdout  # a cell committee each
    assert "changed the counts" not in second.stdout
    # the administrator's new counts reset the roll, and the import names the cells it changed
    csv.write_text(csv.read_text(encoding="utf-8").replace("TL-02,12,0,0", "TL-02,13,1,0"),
                   encoding="utf-8")
    third = run_cli(tmp_path, "org", "import", str(csv))
    assert "The file changed the counts of 1 cell (full, probationary, exempt):" in third.stdout
    assert "  TL-02: 12/0/0 → 13/1/0" in third.stdout


def test_org_import_warns_about_a_cell_below_three_full_members(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,2,1,0\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-02,3,0,0\n",
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "org", "import", str(csv))
    assert result.returncode == 0, result.stderr  # imported all the same, with a warning
    assert "line 2: TL-01 has 2 full members; a cell needs at least 3" in result.stderr
    assert "TL-02" not in result.stderr and "cell committee" not in result.stdout


def test_org_import_takes_excel_files_as_they_are_saved(tmp_path: Path) -> None:
    from openpyxl import Workbook

    header = ["path", "code", "full_members", "probationary_members", "exempt_members"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append(["Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa", "TL-01", 18, 2, 1])
    book.save(tmp_path / "org.xlsx")
    from_xlsx = run_cli(tmp_path, "org", "import", str(tmp_path / "org.xlsx"))
    assert "1 cell created" in from_xlsx.stdout, from_xlsx.stderr
    unicode_text = tmp_path / "org.txt"  # Excel's "Unicode Text": UTF-16, tab-separated
    unicode_text.write_text("\t".join(header) + "\n"
                            "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ\tTL-02\t12\t0\t0\n",
                            encoding="utf-16")
    result = run_cli(tmp_path, "org", "import", str(unicode_text))
    assert "1 cell created, 0 cells updated" in result.stdout, result.stderr
    missing = run_cli(tmp_path, "org", "import", str(tmp_path / "nothing.csv"))
    assert missing.returncode == 1 and "Nothing was imported" in missing.stderr


def test_a_bad_row_names_its_line_and_nothing_is_written(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-02,mười,0,0\n",
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "org", "import", str(csv))
    assert result.returncode == 1
    assert "line 3" in result.stderr and "Nothing was imported" in result.stderr
    invite = run_cli(tmp_path, "invite", "TL-01", "--role", "secretary")
    assert invite.returncode == 1 and "No unit or cell" in invite.stderr


def test_org_import_lists_every_bad_line_at_once(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp 9,TL-09,2,0,5\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-02,mười,0,0\n",
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "org", "import", str(csv))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Nothing was imported: 2 lines of {csv} have problems.",
        "Line 3: exempt_members (5) is more than the full and probationary members together (2)",
        "Line 4: full_members must be a whole number from 0 to 10000",
    ]


def test_invite_prints_the_code_as_the_last_line(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "demo").returncode == 0
    result = run_cli(tmp_path, "invite", "TL-01", "--role", "secretary", "--days", "3")
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    assert len(code) == 14 and code.isalnum() and code.isupper()
    staff = run_cli(tmp_path, "invite", "Tỉnh Tây Ninh/Xã Tân Lân", "--role", "staff")
    assert staff.returncode == 0, staff.stderr
    merged = run_cli(tmp_path, "invite", "Huyện Cần Đước/Xã Tân Lân", "--role", "staff")
    assert merged.returncode == 1 and "is closed" in merged.stderr  # merged on 1 July 2025
    wrong = run_cli(tmp_path, "invite", "Huyện Cần Đước", "--role", "secretary")
    assert wrong.returncode == 1 and "needs a cell code" in wrong.stderr


def test_demo_builds_a_district_of_about_a_hundred_cells(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "17 communes" in result.stdout and "102 cells" in result.stdout
    again = run_cli(tmp_path, "demo")  # a refresh, not a duplicate
    assert "102 cells" in again.stdout


def test_run_without_a_token_opens_the_shell_on_the_demo(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", stdin="/help\n:as admin\n/invite\n1\nTL-02\n:q\n")
    assert result.returncode == 0, result.stderr
    assert "Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set" in result.stdout
    assert "/report" in result.stdout
    # The banner and a switch name the role and its unit, never an internal user key.
    assert "You are the secretary of Chi bộ khu phố 1 (TT-01)" in result.stdout
    assert "Now chatting as an administrator of Tỉnh Tây Ninh" in result.stdout
    assert "demo-admin" not in result.stdout and "demo-secretary" not in result.stdout
    assert "/start " in result.stdout
    assert " INFO " not in result.stderr  # the bot's notes stay out of the chat


def test_the_command_line_speaks_vietnamese_by_default(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po

    with (ROOT / "locales" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        vi = read_po(handle, locale="vi")
    assert run_cli(tmp_path, "org", "import", str(write_org(tmp_path))).returncode == 0
    result = run_cli(tmp_path, "invite", "NOPE", "--role", "secretary", CHIBO_LOCALE="")
    assert result.returncode == 1
    expected = str(vi["No unit or cell matches {target}."].string).format(target="'NOPE'")
    assert result.stderr.strip() == expected


def test_the_shell_acts_as_staff_in_english(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "shell", "--as", "staff", stdin="/help\n", CHIBO_LOCALE="en")
    assert result.returncode == 0, result.stderr
    assert "Show this help" in result.stdout and "/cancel" in result.stdout


def test_a_malformed_setting_gives_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", CHIBO_TIMEZONE="Nowhere/Atlantis")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: CHIBO_TIMEZONE='Nowhere/Atlantis' is not a known time zone"
    ]


def test_an_unknown_calendar_country_gives_one_clear_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[calendar]\ncountry = "XX"\n', encoding="utf-8")
    result = run_cli(tmp_path, "demo", CHIBO_RULES=str(rules))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: [calendar] country 'XX' is not a country code the holidays "
        'package knows (Vietnam is "VN")'
    ]


def write_org(tmp_path: Path) -> Path:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Xã Mỹ Lệ/Chi bộ ấp 1,ML-01,15,1,0\n",
        encoding="utf-8",
    )
    return csv


def test_the_shell_never_adds_the_demo_to_a_real_database(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "org", "import", str(write_org(tmp_path))).returncode == 0
    result = run_cli(tmp_path, "shell", "--cell", "ML-01", CHIBO_LOCALE="en",
                     stdin="/standing\n:as secretary NOPE\n:as admin\n/invite\n1\nML-01\n")
    assert result.returncode == 0, result.stderr
    assert "Standing of Chi bộ ấp 1" in result.stdout
    assert "the code of a cell that exists" in result.stdout
    assert "Now chatting as an administrator of Xã Mỹ Lệ" in result.stdout
    assert "/start " in result.stdout
    demo = run_cli(tmp_path, "invite", "TL-01", "--role", "secretary")
    assert demo.returncode == 1  # no demo cell was created


REAL_CAN_DUOC = (  # a real district's file: the demo's names, but not the demo
    "path,code,full_members,probationary_members,exempt_members\n"
    "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
)


def cells_and_users(tmp_path: Path) -> tuple[list[tuple[str, int]], list[str]]:
    import sqlite3

    with sqlite3.connect(tmp_path / "chibo.sqlite3") as db:
        cells = db.execute("SELECT code, full_members FROM org_units WHERE kind = 'cell'"
                           " ORDER BY code").fetchall()
        users = [key for (key,) in db.execute("SELECT user_key FROM users ORDER BY id")]
    return cells, users


def test_demo_refuses_a_real_database_even_one_named_like_the_demo(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(REAL_CAN_DUOC, encoding="utf-8")
    assert run_cli(tmp_path, "org", "import", str(csv)).returncode == 0
    result = run_cli(tmp_path, "demo")
    assert result.returncode == 1
    assert "is never added to it" in result.stderr and "CHIBO_DB" in result.stderr
    assert cells_and_users(tmp_path) == ([("TL-01", 18)], [])  # nothing renamed or added
    # Nor does the bot take it for the demo: no shell on the demo district without a token.
    run = run_cli(tmp_path, "run")
    assert run.returncode == 2 and "Neither TELEGRAM_BOT_TOKEN" in run.stderr
    assert cells_and_users(tmp_path) == ([("TL-01", 18)], [])


def test_the_shell_on_a_real_database_is_nobodys_registered_secretary(tmp_path: Path) -> None:
    from datetime import date

    csv = tmp_path / "org.csv"
    csv.write_text(REAL_CAN_DUOC, encoding="utf-8")
    assert run_cli(tmp_path, "org", "import", str(csv)).returncode == 0
    shell = run_cli(tmp_path, "shell", "--cell", "TL-01", stdin="/standing\n:q\n")
    assert shell.returncode == 0 and "Standing of Chi bộ ấp Xóm Chùa" in shell.stdout
    # The cell owes next month's report (it entered the bot today): on day 25 its secretary
    # would be reminded, but the one at the terminal is not one.
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 25)
    plan = run_cli(tmp_path, "remind", "--dry-run", "--as-of", next_month.isoformat())
    assert plan.returncode == 0, plan.stderr
    assert "0 reminders for 0 people" in plan.stdout
    # The demo's own secretaries are its people: the same cell's reminder goes to theirs.
    demo = tmp_path / "demo"
    demo.mkdir()
    assert run_cli(demo, "demo").returncode == 0
    plan = run_cli(demo, "remind", "--dry-run", "--as-of", next_month.isoformat())
    assert "0 reminders" not in plan.stdout and "TL-01" in plan.stdout


def test_commands_that_read_refuse_a_database_that_is_not_there(tmp_path: Path) -> None:
    import shlex

    copy = tmp_path / "copy.sqlite3"
    for command in (f"backup {copy}", "export --scope TL-01", "remind --dry-run",
                    "invite TL-01 --role secretary", "ratings import ratings.csv",
                    "org merge merge.csv", "role move TL-01"):
        result = run_cli(tmp_path, *shlex.split(command), CHIBO_DB=str(tmp_path / "typo.db"))
        assert result.returncode == 2, command
        assert "There is no database at" in result.stderr and "typo.db" in result.stderr
        assert not (tmp_path / "typo.db").exists() and not copy.exists()


def test_run_without_a_token_on_a_real_database_says_what_to_do(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "org", "import", str(write_org(tmp_path))).returncode == 0
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2
    assert "Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set" in result.stderr
    no_cell = run_cli(tmp_path, "shell")
    assert no_cell.returncode == 2 and "--cell CODE" in no_cell.stderr


def test_backup_copies_the_database_and_never_overwrites(tmp_path: Path) -> None:
    import sqlite3

    assert run_cli(tmp_path, "demo").returncode == 0
    copy = tmp_path / "copy.sqlite3"
    result = run_cli(tmp_path, "backup", str(copy))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(copy) as restored:
        cells = restored.execute("SELECT COUNT(*) FROM org_units WHERE kind = 'cell'").fetchone()
    assert cells == (102,)
    again = run_cli(tmp_path, "backup", str(copy))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_ctrl_c_in_the_shell_exits_at_once(tmp_path: Path) -> None:
    import pty
    import select
    import signal
    import time

    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "CHIBO_"))}
    environment["CHIBO_DB"] = str(tmp_path / "chibo.sqlite3")
    terminal, process_side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot", "shell"], cwd=ROOT,
                               env=environment, stdin=process_side, stdout=process_side,
                               stderr=process_side, start_new_session=True)
    os.close(process_side)
    try:
        seen, deadline = b"", time.monotonic() + 30
        while b"> " not in seen and time.monotonic() < deadline:  # waiting for a line now
            if select.select([terminal], [], [], 0.2)[0]:
                seen += os.read(terminal, 65536)
        assert b"> " in seen
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
    finally:
        process.kill()
        process.wait()
        os.close(terminal)


def test_a_roll_corrected_in_the_shell_survives_its_restart(tmp_path: Path) -> None:
    import sqlite3

    first = run_cli(tmp_path, "shell", "--cell", "TL-01", CHIBO_LOCALE="vi", stdin=(
        "/baocao\nhom qua\n1\n95\nsua\n14\n1\n1\n14\n1\n2\ntat ca\nbo qua\n1\n"))
    assert first.returncode == 0, first.stderr
    run_cli(tmp_path, "shell", "--cell", "TL-01", stdin=":q\n")  # started again
    with sqlite3.connect(tmp_path / "chibo.sqlite3") as db:
        roll = db.execute("SELECT full_members, probationary_members, exempt_members"
                          " FROM org_units WHERE code = 'TL-01'").fetchone()
        saved = db.execute("SELECT COUNT(*) FROM meeting_reports"
                           " WHERE reported_by IS NOT NULL").fetchone()  # not the demo's years
    assert roll == (14, 1, 1)
    assert saved == (1,)


ORG_HEADER = "path,code,full_members,probationary_members,exempt_members"


def test_org_import_moves_from_valid_from_closes_the_rest_and_merge_links_them(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.csv"
    old.write_text(f"{ORG_HEADER}\n"
                   "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-01,12,0,0\n"
                   "Huyện Cần Đước/Xã Phước Đông/Chi bộ ấp Một,PD-01,10,0,0\n"
                   "Huyện Cần Đước/Xã Phước Đông/Chi bộ ấp Hai,PD-02,10,0,0\n", encoding="utf-8")
    assert run_cli(tmp_path, "org", "import", str(old)).returncode == 0
    new = tmp_path / "new.csv"  # PD-02 is no longer in the file
    new.write_text(f"{ORG_HEADER},valid_from\n"
                   "Tỉnh Tây Ninh/Xã Tân Lân/Chi bộ ấp Chợ,TL-01,12,0,0,01/07/2025\n"
                   "Tỉnh Tây Ninh/Xã Tân Lân/Chi bộ ấp Một,PD-01,10,0,0,01/07/2025\n",
                   encoding="utf-8")
    moved = run_cli(tmp_path, "org", "import", str(new))
    assert moved.returncode == 0, moved.stderr
    assert "2 cells moved under another unit: TL-01, PD-01" in moved.stdout
    assert "Closed from Jul 1, 2025, no longer in the file" in moved.stdout
    assert "  Chi bộ ấp Hai (PD-02)" in moved.stdout and "  Huyện Cần Đước\n" in moved.stdout
    merge = tmp_path / "merge.csv"
    merge.write_text("old_path,new_path,on_date\n"
                     "Huyện Cần Đước/Xã Tân Lân,Tỉnh Tây Ninh/Xã Tân Lân,2025-07-01\n"
                     "Huyện Cần Đước/Xã Phước Đông,Tỉnh Tây Ninh/Xã Tân Lân,2025-07-01\n"
                     "Huyện Cần Đước,Tỉnh Tây Ninh,2025-07-01\n", encoding="utf-8")
    merged = run_cli(tmp_path, "org", "merge", str(merge))
    assert merged.returncode == 0, merged.stderr
    assert "3 units closed and linked to their successors" in merged.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("old_path,new_path,on_date\nHuyện Cần Đước/Xã Không Có,Tỉnh Tây Ninh,"
                   "2025-07-01\n", encoding="utf-8")
    refused = run_cli(tmp_path, "org", "merge", str(bad))
    assert refused.returncode == 1
    assert "line 2: no unit has the path Huyện Cần Đước/Xã Không Có" in refused.stderr
    # An organiser of the merged commune: their role moves to the xã it was merged into.
    assert run_cli(tmp_path, "invite", "Tỉnh Tây Ninh/Xã Tân Lân", "--role", "staff"
                   ).returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "chibo.sqlite3") as db:
        db.execute("INSERT INTO users (id, channel, user_key, created_at)"
                   " VALUES (99, 'telegram', '42', '2025-01-01T00:00:00+00:00')")
        db.execute("INSERT INTO user_roles (user_id, role, unit_id, granted_at)"
                   " SELECT 99, 'staff', id, '2025-01-01T00:00:00+00:00' FROM org_units"
                   " WHERE name = 'Xã Phước Đông'")
    move = run_cli(tmp_path, "role", "move", "Huyện Cần Đước/Xã Phước Đông")
    assert move.returncode == 0, move.stderr
    assert "Moved 1 role from Xã Phước Đông to Xã Tân Lân." in move.stdout
    with sqlite3.connect(tmp_path / "chibo.sqlite3") as db:
        [(parent,)] = db.execute("SELECT p.name || '/' || o.name FROM user_roles r"
                                 " JOIN org_units o ON o.id = r.unit_id"
                                 " JOIN org_units p ON p.id = o.parent_id"
                                 " WHERE r.user_id = 99").fetchall()
    assert parent == "Tỉnh Tây Ninh/Xã Tân Lân"


def test_the_shell_opens_on_the_demo_with_its_merger(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", stdin=":as staff\n/summary 2016\n/summary 2016 nay\n"
                                            "/summary\n:q\n")
    assert result.returncode == 0, result.stderr
    assert "Now chatting as an organiser of Tỉnh Tây Ninh" in result.stdout
    assert "Summary of Tỉnh Tây Ninh, year 2016\n102 cells in 17 communes" in result.stdout
    assert "Counted as part of Tỉnh Tây Ninh in their own days: Huyện Cần Đước" in result.stdout
    assert result.stdout.count("102 cells in 6 communes") == 2  # 2016 regrouped, and today


def test_export_writes_the_areas_workbook_and_says_where(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text(
        "path,code,full_members,probationary_members,exempt_members\n"
        "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
        "Huyện Cần Đước/Xã Phước Đông/Chi bộ ấp Chợ,PD-01,12,0,0\n",
        encoding="utf-8",
    )
    assert run_cli(tmp_path, "org", "import", str(csv)).returncode == 0
    year = str(datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year)  # the cells entered today
    target = tmp_path / "out.xlsx"
    done = run_cli(tmp_path, "export", "--scope", "Huyện Cần Đước/Xã Tân Lân", "--period", year,
                   "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert f"Workbook of Xã Tân Lân, year {year} saved to {target}" in done.stdout
    book = load_workbook(target)
    assert book.sheetnames[:2] == ["Summary", "Cells"]
    codes = [c.value for c in book["Cells"]["B"]][1:]
    assert codes == ["TL-01"]  # the commune asked for, not its neighbour
    into_folder = run_cli(tmp_path, "export", "--scope", "TL-01", "--period", year,
                          "-o", str(tmp_path), CHIBO_LOCALE="vi")
    assert into_folder.returncode == 0, into_folder.stderr
    assert (tmp_path / f"tonghop-chi-bo-ap-xom-chua-{year}.xlsx").exists()


def test_export_of_an_unknown_unit_or_an_unread_period_says_so(tmp_path: Path) -> None:
    csv = tmp_path / "org.csv"
    csv.write_text("path,code,full_members,probationary_members,exempt_members\n"
                   "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n",
                   encoding="utf-8")
    assert run_cli(tmp_path, "org", "import", str(csv)).returncode == 0
    unknown = run_cli(tmp_path, "export", "--scope", "Xã Không Có")
    assert unknown.returncode == 1 and "No unit or cell matches 'Xã Không Có'" in unknown.stderr
    unread = run_cli(tmp_path, "export", "--scope", "TL-01", "--period", "tháng mười")
    assert unread.returncode == 1 and "could not read the period" in unread.stderr


def test_a_backup_restored_as_the_readme_says_reads_back_what_was_saved(tmp_path: Path) -> None:
    import asyncio
    import shutil

    from bot.storage.database import Database
    from bot.storage.meetings import MeetingRepository
    from bot.storage.org import OrgRepository
    from tests.support import sample_meeting, vn_time

    assert run_cli(tmp_path, "demo").returncode == 0
    live = tmp_path / "chibo.sqlite3"

    async def save_a_report() -> int:
        db = await Database.open(live)
        try:
            cell = await OrgRepository(db).by_code("TL-01")
            assert cell is not None
            report = sample_meeting(cell_id=cell.id, expected=10, present=10, excused=0)
            return await MeetingRepository(db).save(report, regular=True, by_user=None,
                                                    at=vn_time(2026, 11, 21))
        finally:
            await db.close()

    saved = asyncio.run(save_a_report())
    backup = tmp_path / "backups" / "chibo-2026-11-21.sqlite3"
    backup.parent.mkdir()
    assert run_cli(tmp_path, "backup", str(backup)).returncode == 0
    # The README's restore: with the bot stopped, the copy replaces the database file, and
    # the old file's -wal and -shm go with it.
    restored = tmp_path / "restored" / "chibo.sqlite3"
    restored.parent.mkdir()
    shutil.copy(backup, restored)

    async def read_back() -> tuple[str, int, int | None]:
        db = await Database.open(restored)
        try:
            integrity = str(await db.scalar("PRAGMA integrity_check"))
            cells = int(await db.scalar("SELECT COUNT(*) FROM org_units WHERE kind = 'cell'"))
            report = await MeetingRepository(db).get(saved)
            return integrity, cells, None if report is None else report.report.present
        finally:
            await db.close()

    assert asyncio.run(read_back()) == ("ok", 102, 10)
    # And the bot runs on it: the command line opens and migrates the restored file.
    invite = run_cli(tmp_path, "invite", "TL-01", "--role", "secretary",
                     CHIBO_DB=str(restored))
    assert invite.returncode == 0, invite.stderr


def test_export_regroups_old_years_under_todays_units_with_tree_today(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "demo").returncode == 0
    result = run_cli(tmp_path, "export", "--scope", "Tỉnh Tây Ninh", "--period", "2016",
                     "--tree", "today", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "summary-tinh-tay-ninh-2016-nay.xlsx")
    rows = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert rows["Period"] == "year 2016, grouped under today's units"
    assert rows["Number of communes"] == 6  # the 6 xã of today, not the 17 of 2016
