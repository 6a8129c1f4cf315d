"""A flow hands over to another (bot.core.flow.Handover), through the dispatcher."""

from __future__ import annotations

import pytest

from bot.core.commands import Command, Registry
from bot.core.dispatcher import Dispatcher
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Handover, Next, Outcome, TextStep
from bot.core.messages import Choice, Reply
from bot.domain.rulebook import Rulebook
from bot.storage.database import Database
from tests.support import VN, Chat, Clock, World


def menu_choices(ctx: Ctx) -> list[Choice]:
    return [Choice("name", "Give a name"), Choice("nothing", "Nothing to do")]


def chosen(ctx: Ctx, key: str) -> Outcome:
    return Handover("naming" if key == "name" else "empty", {"from_menu": key})


def ask_first(ctx: Ctx) -> str:
    return f"First name? (handed {ctx.draft['from_menu']})"


def ask_last(ctx: Ctx) -> str:
    return "Last name?"


def received_first(ctx: Ctx, text: str | None) -> Outcome:
    ctx.draft["first"] = text
    return Next("last")


def received_last(ctx: Ctx, text: str | None) -> Outcome:
    return Done([Reply(f"Named {ctx.draft['first']} {text}, from {ctx.draft['from_menu']}")])


MENU = Flow("menu", [ChoiceStep("pick", lambda ctx: "Pick", menu_choices, chosen, counted=False)])
NAMING = Flow("naming", [
    TextStep("first", ask_first, received_first),
    TextStep("last", ask_last, received_last),
])
EMPTY = Flow("empty", [TextStep("never", ask_last, received_last)],
             start=lambda ctx, args: Done([Reply("Nothing to ask.")]))


def handing_dispatcher(db: Database, clock: Clock) -> Dispatcher:
    registry = Registry([Command(("menu",), "menu", flow=MENU)], handed_over=[NAMING, EMPTY])
    return Dispatcher(db, Rulebook.default(), registry, VN, "en", clock)


@pytest.fixture
def handing(db: Database, clock: Clock, world: World) -> Dispatcher:
    return handing_dispatcher(db, clock)


async def test_the_flow_handed_to_begins_from_the_draft_and_numbers_its_own_questions(
    handing: Dispatcher,
) -> None:
    chat = Chat(handing, "sec-1", language_code="en")
    await chat.send("/menu")
    [first] = await chat.tap("name")
    assert first.text == "(1/2) First name? (handed name)"
    assert [c.key for c in first.choices] == ["back"]  # to the menu that handed over
    [last] = await chat.send("Ba")
    assert last.text == "(2/2) Last name?" and [c.key for c in last.choices] == ["back"]
    [done] = await chat.send("Tư")
    assert done.text == "Named Ba Tư, from name"
    [after] = await chat.send("hello")
    assert "/help" in after.text  # the conversation ended with the flow handed to


async def test_back_on_the_first_question_handed_to_asks_the_menu_again(
    handing: Dispatcher,
) -> None:
    chat = Chat(handing, "sec-1", language_code="en")
    await chat.send("/menu")
    await chat.tap("name")
    [last] = await chat.send("Ba")
    assert last.text == "(2/2) Last name?"
    [first] = await chat.tap("back")  # within the flow handed to first
    assert first.text.startswith("(1/2) First name?")
    [menu] = await chat.tap("back")  # then out of it, to the menu as it was asked
    assert menu.text == "Pick" and [c.key for c in menu.choices][:1] == ["name"]
    [again] = await chat.tap("name")
    assert again.text == "(1/2) First name? (handed name)"  # handed over anew, from the draft


async def test_a_restart_between_keeps_the_flow_handed_to(
    handing: Dispatcher, db: Database, clock: Clock
) -> None:
    chat = Chat(handing, "sec-1", language_code="en")
    await chat.send("/menu")
    await chat.tap("name")
    restarted = Chat(handing_dispatcher(db, clock), "sec-1", language_code="en")
    [last] = await restarted.send("Ba")
    assert last.text == "(2/2) Last name?"


async def test_a_flow_handed_to_with_nothing_to_ask_ends_the_conversation(
    handing: Dispatcher,
) -> None:
    chat = Chat(handing, "sec-1", language_code="en")
    await chat.send("/menu")
    [reply] = await chat.tap("nothing")
    assert reply.text == "Nothing to ask."
    [after] = await chat.send("hello")
    assert "/help" in after.text


def test_two_flows_cannot_share_a_name() -> None:
    other = Flow("naming", [TextStep("last", ask_last, received_last)])
    with pytest.raises(ValueError, match="naming"):
        Registry([Command(("menu",), "menu", flow=MENU)], handed_over=[NAMING, other])
