"""Notes and topics that seem to name a person are noticed (then the secretary decides)."""

from __future__ import annotations

import pytest

from bot.domain.privacy import name_in


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Đ/c Nguyễn Văn Tèo vắng vì ốm", "Đ/c Nguyễn Văn Tèo"),  # the note
        ("Nguyễn Thị Mai báo cáo", "Nguyễn Thị Mai"),  # a full name alone
        ("nhờ đ/c Tèo nhắc", "đ/c Tèo"),  # a title and a given name
        ("Gương đ/c Nguyễn Văn Tèo", "đ/c Nguyễn Văn Tèo"),  # a title and a full name
        ("đồng chí Tư nghỉ", "đồng chí Tư"),  # the title written out
        ("ông Ba đau chân", "ông Ba"),  # an elder's title
        ("Comrade Smith left early", "Comrade Smith"),  # in English
        ("Học tập và làm theo tư tưởng Hồ Chí Minh", None),  # everyone's topic
        ("Kỷ niệm ngày sinh Bác Hồ", None),  # so is Uncle Ho
        ("Họp ở Thành phố Hồ Chí Minh", None),  # a city
        ("Chi bộ ấp Xóm Chùa họp đủ", None),  # a cell's and a hamlet's name
        ("Họp tại nhà văn hoá", None),  # an ordinary note
        ("Anh em trong chi bộ đoàn kết", None),  # "anh em" is no title
        ("Digital transformation in the hamlet", None),  # an English topic
    ],
)
def test_words_that_look_like_a_persons_name_are_found(text: str, found: str | None) -> None:
    assert name_in(text) == found
