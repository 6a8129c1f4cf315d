"""The Zalo Bot API client against the fake server: answers checked, retries, the token hidden."""

from __future__ import annotations

import random
import traceback
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.channels.zalo_api import (
    Backoff,
    ZaloBotApi,
    ZaloError,
    ZaloQuotaExceeded,
    ZaloUnauthorized,
    ZaloUnreachable,
)
from tests.zalo_fake import ZaloFake, zalo_id

TOKEN = "1459232241454765289:ZaloSecret-NeverInLogs"
USER = zalo_id(7)


@pytest.fixture
def fake() -> Iterator[ZaloFake]:
    with ZaloFake(TOKEN, poll_seconds=0.2) as server:
        yield server


class Pauses:
    """Stands in for asyncio.sleep: records the pauses instead of waiting them."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


@pytest.fixture
async def api(fake: ZaloFake, pauses: Pauses) -> AsyncIterator[ZaloBotApi]:
    async with ZaloBotApi(TOKEN, fake.url, backoff=Backoff(1, 4, random.Random(1)),
                          sleep=pauses) as client:
        yield client


async def test_get_me_names_the_bot(api: ZaloBotApi) -> None:
    me = await api.get_me()
    assert (me.id, me.account_type) == ("1459232241454765289", "BASIC")


async def test_an_idle_long_poll_ends_with_408_which_means_no_update(
    api: ZaloBotApi, fake: ZaloFake
) -> None:
    assert await api.get_updates(wait=1) is None
    poll = fake.calls_of("getUpdates")[0]
    assert (poll.status, poll.params["timeout"]) == (408, "1")  # Zalo takes it as a string


async def test_each_poll_hands_out_one_event(api: ZaloBotApi, fake: ZaloFake) -> None:
    first = fake.send_text(USER, "xin chào")
    second = fake.send_text(USER, "/help")
    assert await api.get_updates(wait=1) == first
    assert await api.get_updates(wait=1) == second
    assert await api.get_updates(wait=1) is None


async def test_ok_false_with_http_200_is_an_error(api: ZaloBotApi, fake: ZaloFake) -> None:
    with pytest.raises(ZaloError) as error:
        await api.send_message("", "hello")  # Zalo: 200 {"ok": false, "error_code": 400}
    assert error.value.status == 400
    assert "chat_id must not be empty" in error.value.description
    assert fake.calls_of("sendMessage")[0].status == 200


async def test_a_message_over_2000_characters_is_refused_and_not_tried_again(
    api: ZaloBotApi, fake: ZaloFake, pauses: Pauses
) -> None:
    await api.send_message(USER, "x" * 2000)  # the limit itself is allowed
    with pytest.raises(ZaloError) as error:
        await api.send_message(USER, "x" * 2001)
    assert error.value.status == 400
    assert len(fake.calls_of("sendMessage")) == 2 and pauses.seconds == []


async def test_a_passing_502_is_tried_again_after_a_pause(
    api: ZaloBotApi, fake: ZaloFake, pauses: Pauses
) -> None:
    fake.fail_next("sendMessage", 502, "Bad Gateway")
    sent = await api.send_message(USER, "hello")
    assert len(sent.message_id) == 20
    assert [c.status for c in fake.calls_of("sendMessage")] == [502, 200]
    assert len(pauses.seconds) == 1 and 0.5 <= pauses.seconds[0] <= 1


async def test_an_error_reported_as_ok_false_with_http_200_is_retried_by_its_code(
    api: ZaloBotApi, fake: ZaloFake
) -> None:
    fake.fail_next("sendMessage", 429, "Quota exceeded", http_status=200)
    await api.send_message(USER, "hello")
    assert [c.status for c in fake.calls_of("sendMessage")] == [200, 200]


async def test_quota_exceeded_backs_off_then_gives_up(
    api: ZaloBotApi, fake: ZaloFake, pauses: Pauses
) -> None:
    fake.quota = 0
    with pytest.raises(ZaloQuotaExceeded):
        await api.send_message(USER, "hello")
    assert len(fake.calls_of("sendMessage")) == 3  # SEND_ATTEMPTS
    assert len(pauses.seconds) == 2
    assert 0.5 <= pauses.seconds[0] <= 1 and 1 <= pauses.seconds[1] <= 2  # doubling


async def test_a_wrong_token_is_refused_and_never_shown(fake: ZaloFake) -> None:
    async with ZaloBotApi("1:wrong-token-secret", fake.url) as client:
        with pytest.raises(ZaloUnauthorized) as error:
            await client.get_me()
    assert "wrong-token-secret" not in str(error.value)


async def test_an_error_that_quotes_the_token_has_it_cut_out(
    api: ZaloBotApi, fake: ZaloFake
) -> None:
    fake.fail_next("getMe", 400, f"Bad request: no bot {TOKEN} here, /bot{TOKEN}/getMe")
    with pytest.raises(ZaloError) as error:
        await api.get_me()
    assert TOKEN not in str(error.value)
    assert "<token>" in error.value.description


async def test_an_unreachable_api_is_tried_again_and_the_error_hides_the_token(
    pauses: Pauses,
) -> None:
    with ZaloFake(TOKEN) as closed:
        url = closed.url  # a port nobody listens on once the fake is closed
    async with ZaloBotApi(TOKEN, url, sleep=pauses) as client:
        with pytest.raises(ZaloUnreachable) as error:
            await client.send_message(USER, "hello")
    assert error.value.sent is False
    assert len(pauses.seconds) == 2  # three attempts
    assert TOKEN not in str(error.value) and "ConnectError" in str(error.value)


async def test_a_network_error_quoting_the_url_shows_no_token_even_in_the_traceback(
    pauses: Pauses,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with ZaloBotApi(TOKEN, "https://zalo.invalid", http=http, sleep=pauses) as client:
        with pytest.raises(ZaloUnreachable) as error:
            await client.get_me()
    assert "cannot reach https://zalo.invalid/bot<token>/getMe" in str(error.value)
    # httpx's own error (whose text has the URL) is not chained into the traceback.
    assert TOKEN not in "".join(traceback.format_exception(error.value))


async def test_a_send_that_timed_out_after_leaving_is_not_sent_twice(pauses: Pauses) -> None:
    tries: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        tries.append(request.url.path)
        raise httpx.ReadTimeout("timed out", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with ZaloBotApi(TOKEN, "https://zalo.invalid", http=http, sleep=pauses) as client:
        with pytest.raises(ZaloUnreachable) as error:
            await client.send_message(USER, "hello")
    assert error.value.sent is True
    assert len(tries) == 1 and pauses.seconds == []


async def test_an_answer_that_is_not_json_is_an_error_with_its_status(pauses: Pauses) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with ZaloBotApi(TOKEN, "https://zalo.invalid", http=http, sleep=pauses,
                          attempts=1) as client:
        with pytest.raises(ZaloError) as error:
            await client.get_me()
    assert error.value.status == 502 and error.value.transient


async def test_webhook_info_is_empty_until_a_webhook_is_set(api: ZaloBotApi) -> None:
    assert (await api.get_webhook_info()).url == ""  # Zalo answers 404 here
    await api.set_webhook("https://bot.example.vn/zalo", "s3cret-s3cret")
    assert (await api.get_webhook_info()).url == "https://bot.example.vn/zalo"
    await api.delete_webhook()
    assert (await api.get_webhook_info()).url == ""


async def test_polling_is_refused_while_a_webhook_is_set(api: ZaloBotApi) -> None:
    await api.set_webhook("https://bot.example.vn/zalo", "s3cret-s3cret")
    with pytest.raises(ZaloError) as error:
        await api.get_updates(wait=1)
    assert error.value.status == 400


async def test_a_chat_action_has_no_result_and_still_succeeds(
    api: ZaloBotApi, fake: ZaloFake
) -> None:
    await api.send_chat_action(USER)
    assert fake.calls_of("sendChatAction")[0].params == {"chat_id": USER, "action": "typing"}


@pytest.mark.parametrize(("attempt", "low", "high"), [
    (0, 0.5, 1.0),  # the first pause: half the base to the base
    (1, 1.0, 2.0),  # doubled
    (2, 2.0, 4.0),  # doubled again, reaching the cap
    (3, 2.0, 4.0),  # capped from then on
    (60, 2.0, 4.0),  # a long outage does not overflow
])
def test_backoff_doubles_up_to_its_cap_with_jitter(attempt: int, low: float, high: float) -> None:
    delays = [Backoff(1, 4, random.Random(seed)).delay(attempt) for seed in range(50)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 40  # jittered, not one fixed value
