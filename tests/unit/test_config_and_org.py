"""Settings from the environment, the org CSV, roles, the rulebook and locale choice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.org import CellRow, OrgCsvError, OrgUnit, parse_org_rows
from bot.domain.rulebook import Rulebook, RulebookError
from bot.i18n import choose_locale, translator
from bot.tables import read_table

HEADER = "path,code,full_members,probationary_members,exempt_members\n"


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings.telegram_token is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_url == "https://api.telegram.org/file/bot"
    assert str(settings.timezone) == "Asia/Ho_Chi_Minh"
    assert settings.locale == "vi"
    assert settings.database == Path("chibo.sqlite3")
    assert settings.reminders  # scheduled reminders run unless turned off
    assert not load_settings({"CHIBO_REMINDERS": "OFF"}).reminders


@pytest.mark.parametrize(("env", "variable"), [
    ({"TELEGRAM_BOT_TOKEN": "no colon"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
    ({"CHIBO_TIMEZONE": "Mars/Olympus"}, "CHIBO_TIMEZONE"),
    ({"CHIBO_LOCALE": "fr"}, "CHIBO_LOCALE"),
    ({"CHIBO_RULES": "/no/such/rules.toml"}, "CHIBO_RULES"),
    ({"CHIBO_DB": "/"}, "CHIBO_DB"),
    ({"CHIBO_REMINDERS": "sometimes"}, "CHIBO_REMINDERS"),
])
def test_a_bad_setting_is_named_in_the_error(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_the_api_url_keeps_the_self_hosted_layout() -> None:
    settings = load_settings({"TELEGRAM_API_URL": "http://127.0.0.1:8081/"})
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_file_url == "http://127.0.0.1:8081/file/bot"


def test_an_org_csv_parses_any_depth_and_normalises_codes() -> None:
    rows = parse_org_csv(
        "\ufeff" + HEADER
        + "Huyện Cần Đước/Xã Tân Lân/Chi bộ ấp Xóm Chùa,tl-01,18,2,1\n"
        + "Xã Mỹ Lệ/Chi bộ ấp 1, ML-01 ,9,0,0\n"
    )
    assert [r.path for r in rows] == [
        ("Huyện Cần Đước", "Xã Tân Lân", "Chi bộ ấp Xóm Chùa"), ("Xã Mỹ Lệ", "Chi bộ ấp 1")
    ]
    assert [r.code for r in rows] == ["TL-01", "ML-01"]
    assert rows[0].full_members == 18 and rows[0].exempt_members == 1


@pytest.mark.parametrize(("body", "line", "problem"), [
    ("A/B,C1,1,2\n", 2, "columns"),  # a column missing
    ("A/B,C1,x,0,0\n", 2, "full_members"),  # not a number
    ("A/B,C1,1,0,-1\n", 2, "exempt_members"),  # negative
    ("B,C1,1,0,0\n", 2, "path"),  # a cell without a unit
    ("A//B,C1,1,0,0\n", 2, "path"),  # an empty name
    ("A/B,C 1,1,0,0\n", 2, "code"),  # a space in the code
    ("A/B,C1,1,0,0\nA/C,c1,1,0,0\n", 3, "already used"),  # duplicate code
    ("A/B,C1,1,0,0\nA/B,C2,1,0,0\n", 3, "same cell path"),  # duplicate path
    ("A/B,C1,1,0,0\na/ b ,C2,1,0,0\n", 3, "same cell path"),  # the same in another case
    ("A/B,C1,2,0,5\n", 2, "exempt_members (5) is more than"),  # more exempt than members
])
def test_a_bad_org_row_is_reported_with_its_line(body: str, line: int, problem: str) -> None:
    with pytest.raises(OrgCsvError) as error:
        parse_org_csv(HEADER + body)
    assert error.value.line == line and problem in error.value.problem


def test_every_bad_line_of_an_org_file_is_reported_at_once() -> None:
    with pytest.raises(OrgCsvError) as error:
        parse_org_csv(HEADER + "A/B,C1,x,0,0\n"  # line 2: not a number
                      "A/C,C2,9,0,0\n"  # line 3: sound
                      "A/D,C3,9\n"  # line 4: a column missing
                      "A/E,C4,2,1,4\n"  # line 5: more exempt than members
                      "A/F,c2,9,0,0\n")  # line 6: C2's code again
    assert [(p.line, p.template.split()[0]) for p in error.value.problems] == [
        (2, "{column}"), (4, "expected"), (5, "exempt_members"), (6, "code")]
    assert error.value.line == 2  # read alone, it is the first of them


def test_as_many_exempt_as_members_is_a_sound_row() -> None:
    # the chat's roll correction refuses more exempt than members, and so does the file
    [cell] = parse_org_csv(HEADER + "A/B,C1,2,1,3\n")
    assert (cell.full_members, cell.probationary_members, cell.exempt_members) == (2, 1, 3)


def test_an_org_csv_needs_its_header() -> None:
    with pytest.raises(OrgCsvError, match="header"):
        parse_org_csv("path,code\nA/B,C1\n")


def test_expected_members_leave_out_the_exempt() -> None:
    cell = OrgUnit(1, None, "cell", "C", "C1", full_members=18, probationary_members=2,
                   exempt_members=1)
    assert cell.expected_members == 19


def test_a_later_era_inherits_and_overrides_the_rules() -> None:
    rules = Rulebook.from_mappings([{
        "meetings": [
            {"effective_from": date(2012, 1, 1), "threshold": 0.8, "minutes": 90},
            {"effective_from": date(2018, 1, 1), "threshold": 0.85},
        ]
    }])
    assert rules.section("meetings", date(2016, 5, 22)) == {"threshold": 0.8, "minutes": 90}
    assert rules.section("meetings", date(2019, 1, 1)) == {"threshold": 0.85, "minutes": 90}
    assert rules.section("meetings", date(2000, 1, 1))["threshold"] == 0.8  # before any era


def test_an_override_file_replaces_keys_of_the_same_era(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text(
        "[calendar]\nextra_holidays = [2026-04-27]\n"
        "[[meetings]]\neffective_from = 2025-10-28\nmin_minutes_regular = 60\n",
        encoding="utf-8",
    )
    rules = Rulebook.load(override)
    assert rules.value("meetings", "min_minutes_regular", date(2026, 1, 1)) == 60
    assert rules.value("meetings", "min_minutes_regular", date(2019, 1, 1)) == 90
    assert date(2026, 4, 27) in rules.calendar.extra_holidays


def test_a_broken_rulebook_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "rules.toml"
    broken.write_text("[[meetings]]\nmin_minutes_regular = 60\n", encoding="utf-8")
    with pytest.raises(RulebookError, match="effective_from"):
        Rulebook.load(broken)
    broken.write_text("[[meetings\n", encoding="utf-8")
    with pytest.raises(RulebookError, match="not valid TOML"):
        Rulebook.load(broken)


@pytest.mark.parametrize(("stored", "platform", "expected"), [
    ("en", "vi", "en"),  # a stored choice wins
    (None, "en-US", "en"),  # then the app's language, before the dash
    (None, "vi", "vi"),
    (None, "fr", "vi"),  # an unsupported language falls back to the default
    (None, None, "vi"),
])
def test_the_locale_is_stored_then_platform_then_default(
    stored: str | None, platform: str | None, expected: str
) -> None:
    assert choose_locale(stored, platform, "vi") == expected


def test_numbers_percentages_and_dates_follow_the_locale() -> None:
    vi, en = translator("vi"), translator("en")
    assert vi.number(1234.5) == "1.234,5" and en.number(1234.5) == "1,234.5"
    assert vi.percent(0.857) == "85,7%" and en.percent(0.857) == "85.7%"
    assert vi.date(date(2026, 11, 5)) == "05/11/2026"
    assert en.date(date(2026, 11, 5)) == "Nov 5, 2026"
    assert vi.month(date(2026, 11, 5)) == "11/2026"


def test_a_count_in_other_digits_is_a_bad_row_not_a_crash() -> None:
    with pytest.raises(OrgCsvError, match="full_members"):
        parse_org_csv(HEADER + "A/B,C1,²,0,0\n")


def parse_org_csv(text: str) -> list[CellRow]:
    return parse_org_rows(read_table(text.encode("utf-8")))


def test_a_calendar_country_the_holidays_package_lacks_is_reported(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[calendar]\ncountry = "XX"\n', encoding="utf-8")
    with pytest.raises(RulebookError, match="'XX' is not a country code"):
        Rulebook.load(rules)
    rules.write_text('[calendar]\ncountry = "VNM"\n', encoding="utf-8")  # alpha-3 is known
    assert Rulebook.load(rules).calendar.country == "VNM"
