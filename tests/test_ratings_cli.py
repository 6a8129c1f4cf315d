"""`python -m bot ratings import FILE` as a real process: all or nothing, in CHIBO_LOCALE."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from tests.test_cli import run_cli

ORG = (
    "path,code,full_members,probationary_members,exempt_members\n"
    "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,TL-01,18,2,1\n"
    "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Chợ,TL-02,12,0,0\n"
)
HEADER = ("code;year;scheme;rating;members_rated;members_excellent;members_good;"
          "members_satisfactory;members_failed\r\n")


def setup_org(tmp_path: Path) -> None:
    org = tmp_path / "org.csv"
    org.write_text(ORG, encoding="utf-8")
    assert run_cli(tmp_path, "org", "import", str(org)).returncode == 0


def test_a_semicolon_csv_with_a_bom_is_loaded_and_the_years_headline_printed(
    tmp_path: Path
) -> None:
    setup_org(tmp_path)
    ratings = tmp_path / "xeploai-2015.csv"
    ratings.write_bytes(("\ufeff" + HEADER + "TL-01;2015;2015;tsvm_tieu_bieu;19;3;15;1;0\r\n"
                         "TL-02;2015;2015;htt;12;0;8;3;1\r\n").encode())
    result = run_cli(tmp_path, "ratings", "import", str(ratings), CHIBO_LOCALE="en")
    assert result.returncode == 0, result.stderr
    assert "2 rows read, 2 cells rated, 0 earlier ratings replaced" in result.stdout
    assert "In 2015, 50% of the cells were clean and strong (50% exemplary)" in result.stdout
    assert "83.87% of the members" in result.stdout  # 26 of 31
    assert "3.23% were in breach" in result.stdout  # 1 of 31


def test_an_xlsx_with_a_bad_row_saves_nothing_and_names_every_bad_line(tmp_path: Path) -> None:
    setup_org(tmp_path)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(";"))
    sheet.append(["TL-01", 2015, 2015, "tsvm", 19, 3, 15, 1, 0])  # sound
    sheet.append(["TL-02", 2015, 2015, "tsvm", 13, 1, 10, 2, 0])  # 13 rated, 12 on the roll
    sheet.append(["ZZ-01", 2015, 2015, "tsvm", 1, 0, 1, 0, 0])  # no such cell
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "ratings.xlsx"
    path.write_bytes(buffer.getvalue())
    result = run_cli(tmp_path, "ratings", "import", str(path), CHIBO_LOCALE="en")
    assert result.returncode == 1
    assert "Nothing was saved: 2 lines of the file have problems." in result.stderr
    assert "Line 3: 13 members rated, but TL-02 has only 12" in result.stderr
    assert "Line 4: no cell has the code ZZ-01" in result.stderr
    # Nothing of line 2 was kept: the good row alone now counts as created.
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "TL-01;2015;2015;tsvm;19;3;15;1;0\r\n", encoding="utf-8")
    again = run_cli(tmp_path, "ratings", "import", str(good), CHIBO_LOCALE="en")
    assert "1 rows read, 1 cells rated, 0 earlier" in again.stdout
    assert "already saved" not in again.stdout


def test_a_missing_file_is_told_in_one_line(tmp_path: Path) -> None:
    setup_org(tmp_path)
    result = run_cli(tmp_path, "ratings", "import", str(tmp_path / "none.csv"))
    assert result.returncode == 1
    assert "Cannot read" in result.stderr and "Traceback" not in result.stderr
