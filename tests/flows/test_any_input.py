"""Whatever a user types or taps, the bot answers in words and never fails (property test).

Users mostly follow the buttons they are shown (tapped, or typed as a number or label), so the
walk reaches deep into every conversation, and now and then type anything at all.
CHIBO_FUZZ_EXAMPLES=2000 runs a longer search.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.messages import Inbound, Reply
from bot.storage.database import Database
from tests.support import Clock, make_dispatcher, seed_world, vn_time

APOLOGIES = ("Xin lỗi, hệ thống gặp sự cố", "Sorry, something went wrong")
COMMANDS = ["/baocao", "/phattrien", "/tinhhinh", "/moi", "/ngonngu", "/huy", "/trogiup",
            "/start", "/start ABC", "/standing TL-02", "/tinhhinh XX", "/report", "/recruit"]
TYPED = ["0", "-1", "99999999999", "", "   ", "tất cả", "all", "chưa", "1 3", "1,2", "skip",
         "back", "quay lại", "hôm nay", "20/11", "1/11/2026", "31/2/2026", "2026-11-20",
         "03/1995", "13/1990", "NVA", "Út Mười", "x" * 600, "0123456789", "🙂", "/", "12", "95"]
USERS = ["sec-1", "sec-2", "commune-staff", "admin", "stranger"]
EXAMPLES = int(os.environ.get("CHIBO_FUZZ_EXAMPLES", "40"))
START_TIMES = [vn_time(2026, 11, 27), vn_time(2026, 1, 1, 0, 5), vn_time(2028, 2, 29)]


def answers_to(reply: Reply | None) -> st.SearchStrategy[tuple[str, str]]:
    """Return ("tap", key) or ("type", text) moves, mostly following the last prompt."""
    anything = st.one_of(st.sampled_from(COMMANDS + TYPED), st.text(max_size=30))
    typed = anything.map(lambda text: ("type", text))
    if reply is None or not reply.choices:
        return st.one_of(typed, st.sampled_from(COMMANDS).map(lambda c: ("type", c)))
    keys = [c.key for c in reply.choices]
    numbers = [str(n) for n in range(1, len(keys) + 1)]
    labels = [c.label for c in reply.choices]
    return st.one_of(
        st.sampled_from(keys).map(lambda k: ("tap", k)),
        st.sampled_from(numbers + labels).map(lambda t: ("type", t)),
        typed,
    )


async def walk(data: st.DataObject, start: datetime, steps: int) -> None:
    db = await Database.open(":memory:")
    try:
        clock = Clock(start)
        await seed_world(db, clock())
        dispatcher = make_dispatcher(db, clock)
        shown: dict[str, Reply] = {}
        for _ in range(steps):
            user = data.draw(st.sampled_from(USERS))
            kind, value = data.draw(answers_to(shown.get(user)))
            prompt = shown.get(user)
            if kind == "tap" and prompt is not None:
                inbound = Inbound("test", user, choice=value, token=prompt.token)
            else:
                inbound = Inbound("test", user, text=value)
            replies = await dispatcher.handle(inbound)
            assert replies, (user, kind, value)
            for reply in replies:
                assert reply.text.strip(), (user, kind, value)
                assert not any(a in reply.text for a in APOLOGIES), (user, kind, value)
                assert len(reply.choices) == len({c.key for c in reply.choices})
            shown[user] = replies[-1]
    finally:
        await db.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(START_TIMES), st.integers(min_value=5, max_value=80))
def test_any_walk_through_the_conversations_gets_answers_and_no_failure(
    data: st.DataObject, start: datetime, steps: int
) -> None:
    asyncio.run(walk(data, start, steps))
