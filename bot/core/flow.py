"""The flow engine's parts: the context a step sees, outcomes, and reusable step kinds.

A flow is an ordered list of named steps. Each step asks one question (a Reply) and turns an
answer into an Outcome: go to a step, re-ask with a hint, stay (a multi-select toggle), or
finish. The dispatcher stores the step and the draft after every answer, so nothing typed is
lost to a restart. Handlers put answers into `ctx.draft` (JSON values only).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias, TypeVar

from bot.config import SUPPORTED_LOCALES
from bot.core.cleaning import visible_length
from bot.core.matching import fold, match_choice, parse_numbers
from bot.core.messages import Choice, Inbound, Reply
from bot.core.parsing import NoSuchDay, parse_whole_number, read_day, typed_example
from bot.domain.org import User
from bot.domain.rulebook import Rulebook
from bot.i18n import N_, Translator, translator
from bot.storage.conversations import SHOWN_PREFIX, Row
from bot.storage.database import Database, Rider

T = TypeVar("T")
MaybeAwaitable: TypeAlias = T | Awaitable[T]

BACK = "back"
DONE = "done"  # ends a multi-select
CONTROL_KEYS = frozenset({DONE, BACK})  # not options: never marked, laid out apart
CHECKED, UNCHECKED = "☑ ", "☐ "  # a multi-select's ticked and open options, on every channel
RETURN_KEY = "_return"  # draft key: the review step to come back to after an edit
CANCEL = "cancel"  # the key of a question's own Cancel choice (a review's)
CANCEL_WORDS = frozenset({"huy", "cancel"})  # /huy and /cancel, folded, typed without the slash
CANCELLED = N_("Cancelled. Nothing was saved.")


def means_cancel(text: str) -> bool:
    """Tell whether typed text is "hủy" or "cancel" alone (case and diacritics aside)."""
    return fold(text).strip(" .!") in CANCEL_WORDS


def choice_label(reply: Reply, choice: Choice) -> str:
    """Return a choice's label as shown: marked ☑ or ☐ when it is a multi-select's option."""
    if reply.multi and choice.key not in CONTROL_KEYS:
        return (CHECKED if choice.key in reply.selected else UNCHECKED) + choice.label
    return choice.label


Say = Callable[[Sequence[Reply]], Awaitable[None]]
# Tell another user (user, their app's language) what `compose` writes in their language.
Tell = Callable[[User, "str | None", Callable[["Ctx"], Sequence[Reply]]], Awaitable[bool]]


async def say_nowhere(replies: Sequence[Reply]) -> None:
    """Drop a notice ahead of the answer: nobody is listening (a bot-started context)."""


async def tell_nobody(user: User, app_locale: str | None,
                      compose: Callable[[Ctx], Sequence[Reply]]) -> bool:
    """Tell nobody: there is no channel to speak through (a bot-started context)."""
    return False


@dataclass
class Ctx:
    """What a handler may use: who asks, in which language, the database, the rules, now."""

    user: User
    t: Translator
    db: Database
    rules: Rulebook
    now: datetime  # aware, in the configured time zone
    inbound: Inbound
    draft: dict[str, Any] = field(default_factory=dict)
    # Send replies at once, ahead of the answer ("preparing the file…" before slow work).
    say: Say = say_nowhere
    # Send a message the bot starts to another user (a warning to the administrators):
    # through the outbox, to the chat they wrote from last; True once sent.
    tell: Tell = tell_nobody
    conversation: Row | None = None  # the dispatcher's: the row version its writes must find
    # The dispatcher's, while an answer is read: makes `ending` (built only when asked for).
    end_by_saving: Callable[[], Rider] | None = None
    _ending: tuple[Rider, ...] = field(default=(), init=False)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def buttons(self) -> bool:
        """Tell whether the user can tap buttons (Telegram) or only type (Zalo, the shell)."""
        return self.inbound.buttons

    def hint(self, tap: str, type_: str, /, **values: Any) -> str:
        """Translate a hint worded for tapping buttons (`tap`) or, where none are shown, for
        typing (`type_`); both marked with N_."""
        return self.t(tap if self.buttons else type_, **values)

    @property
    def ending(self) -> tuple[Rider, ...]:
        """The end of the conversation, to pass as `also=` to the repository write that saves
        its work: both are committed together, or neither (a second writer). The answer that
        saved, coming again, is then told "already saved"."""
        if not self._ending and self.end_by_saving is not None:
            self._ending = (self.end_by_saving(),)
        return self._ending

    @property
    def saved(self) -> bool:
        """Tell whether this answer's save was committed, and its conversation ended with it."""
        return any(rider.committed for rider in self._ending)


# Outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Next:
    step: str
    force: bool = False  # go there even while editing from the review (a follow-up question)


@dataclass(frozen=True)
class Edit:
    step: str  # answer this step again, then come back to the current (review) step


@dataclass(frozen=True)
class Invalid:
    message: str  # says what is expected; the question is asked again below it


@dataclass(frozen=True)
class Stay:
    """Ask the same step again (a toggled multi-select), updating the prompt where possible."""


@dataclass(frozen=True)
class Done:
    replies: Sequence[Reply]


@dataclass(frozen=True)
class Handover:
    """End this flow and begin another, from a draft handed over (JSON values only)."""

    flow: str  # the name of a flow the registry knows
    draft: Mapping[str, Any] = field(default_factory=dict)


Outcome = Next | Edit | Invalid | Stay | Done | Handover


async def resolve(value: MaybeAwaitable[T]) -> T:
    """Await `value` if it is awaitable: step callbacks may be plain or async functions."""
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True)
class Answer:
    text: str  # what was typed ("" for a tap)
    key: str | None  # the choice tapped, or the choice a typed answer named


# Steps ---------------------------------------------------------------------------------


class Step(ABC):
    """A question of a flow: the step kinds below implement `prompt` and `receive`."""

    name: str
    counted: bool = True  # shows in the "(3/9)" position
    numbered: bool = True  # typed digits pick a choice by its number
    # The step reads a typed "hủy"/"cancel" itself; elsewhere it cancels like /huy.
    reads_cancel: bool = False

    @abstractmethod
    async def prompt(self, ctx: Ctx) -> Reply:
        """Return the question, with its choices."""

    @abstractmethod
    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        """Turn an answer into what happens next."""

    def back_within(self, ctx: Ctx) -> bool:
        """Undo a sub-state of this step on "back"; False lets back go to the previous step."""
        return False


Text = Callable[[Ctx], MaybeAwaitable[str]]
Then = Callable[[Ctx, T], MaybeAwaitable[Outcome]]


@dataclass
class ChoiceStep(Step):
    """Pick one of a few options by tap, number or label."""

    name: str
    question: Text
    options: Callable[[Ctx], MaybeAwaitable[Sequence[Choice]]]
    then: Then[str]
    counted: bool = True

    async def prompt(self, ctx: Ctx) -> Reply:
        return Reply(await resolve(self.question(ctx)), tuple(await resolve(self.options(ctx))))

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        options = await resolve(self.options(ctx))
        keys = {c.key for c in options}
        key = answer.key if answer.key in keys else None
        if key is None and answer.text:
            key = await typed_key(ctx, answer.text, self.options)
        if key is not None:
            return await resolve(self.then(ctx, key))
        return Invalid(ctx.hint(
            N_("Please tap one of the buttons or type its number (1 to {last})."),
            N_("Please type the number of one of the choices (1 to {last})."),
            last=ctx.t.number(len(options)),
        ))


def _words(text: str) -> str:
    """Return folded text as space-bounded words, for finding words inside a label."""
    return " " + " ".join(_NOT_WORD.sub(" ", text).split()) + " "


def contains_words(label: str, typed: str) -> bool:
    """Tell whether the typed words appear, whole and in order, in a label (case, diacritics
    and punctuation aside): "xom chua" is in "Chi bộ ấp Xóm Chùa", "chua" alone too."""
    words = _words(fold(typed))
    return words.strip() != "" and words in _words(fold(label))


_NOT_WORD = re.compile(r"[^\w]+")
NEXT_PAGE, PREVIOUS_PAGE = "next_page", "previous_page"


@dataclass
class PagedChoiceStep(ChoiceStep):
    """Pick one of many options, shown `page_size` at a time with next/previous page buttons.

    A typed label is looked for on every page, not only the one shown.
    """

    page_size: int = 10

    @property
    def _page_key(self) -> str:
        return f"_page_{self.name}"

    async def _page(self, ctx: Ctx) -> tuple[list[Choice], int, int]:
        """Return the options, the page shown (from 0) and the number of pages."""
        options = list(await resolve(self.options(ctx)))
        pages = max(1, -(-len(options) // self.page_size))
        return options, min(int(ctx.draft.get(self._page_key, 0)), pages - 1), pages

    async def prompt(self, ctx: Ctx) -> Reply:
        options, page, pages = await self._page(ctx)
        shown = options[page * self.page_size:(page + 1) * self.page_size]
        if page > 0:
            shown.append(Choice(PREVIOUS_PAGE, ctx.t("◀ Previous page")))
        if page < pages - 1:
            shown.append(Choice(NEXT_PAGE, ctx.t("Next page ▶")))
        text = await resolve(self.question(ctx))
        if pages > 1:
            text += "\n" + ctx.t(
                "(page {page} of {pages})", page=ctx.t.number(page + 1),
                pages=ctx.t.number(pages),
            )
        return Reply(text, tuple(shown))

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        options, page, _ = await self._page(ctx)
        if answer.key in (NEXT_PAGE, PREVIOUS_PAGE):
            ctx.draft[self._page_key] = page + (1 if answer.key == NEXT_PAGE else -1)
            return Stay()
        key = answer.key if answer.key in {c.key for c in options} else None
        if key is None and answer.text:
            key = await typed_key(ctx, answer.text, self.options)
        if key is None:
            return Invalid(ctx.hint(
                N_("Please tap one of the buttons, or type its number or a part of its name."),
                N_("Please type the number of one of the choices, or a part of its name."),
            ))
        ctx.draft.pop(self._page_key, None)
        return await resolve(self.then(ctx, key))


# Typed answers that mean yes or no, in either language ("có", "ko", "y", "n"…), folded.
YES_WORDS = frozenset({"y", "yes", "co", "ok", "vang", "u", "dung", "da"})
NO_WORDS = frozenset({"n", "no", "khong", "ko", "k", "chua"})


def yes_no_choices(ctx: Ctx) -> list[Choice]:
    return [Choice("yes", ctx.t("Yes")), Choice("no", ctx.t("No"))]


async def yes_or_no(ctx: Ctx, answer: Answer) -> str | None:
    """Read a yes/no question's answer: "yes", "no", or None for anything else."""
    if answer.key in ("yes", "no"):
        return answer.key
    return await typed_key(ctx, answer.text, yes_no_choices) if answer.text else None


def cancels_conversation(step: Step, asked: Reply, answer: Answer) -> bool:
    """Tell whether a typed answer is "hủy"/"cancel" meant as /huy: it names no choice of
    the question, which neither reads the word itself nor offers its own Cancel."""
    return (answer.key is None and not step.reads_cancel and means_cancel(answer.text)
            and all(choice.key != CANCEL for choice in asked.choices))


async def typed_key(
    ctx: Ctx, text: str, options: Callable[[Ctx], MaybeAwaitable[Sequence[Choice]]]
) -> str | None:
    """Name the option a typed answer means in any language: a yes/no word, a whole label, or
    words found in exactly one label ("ket hop" for "Thường kỳ kết hợp chuyên đề")."""
    typed = fold(text).rstrip(".")
    if not typed:
        return None
    labels: dict[str, list[str]] = {}
    for locale in SUPPORTED_LOCALES:  # the same options, labelled in each language
        other = dataclasses.replace(ctx, t=translator(locale))
        for choice in await resolve(options(other)):
            labels.setdefault(choice.key, []).append(fold(choice.label))
    for key, words in (("yes", YES_WORDS), ("no", NO_WORDS)):
        if key in labels and typed in words:
            return key
    for found in (
        [k for k, names in labels.items() if typed in names],
        [k for k, names in labels.items() if any(contains_words(n, typed) for n in names)],
    ):
        if len(found) == 1:
            return found[0]
    return None


SKIP = "skip"


def skips(answer: Answer) -> bool:
    """Tell whether the answer is Skip: tapped, or its whole label typed in either language."""
    typed = fold(answer.text).rstrip(".")
    return answer.key == SKIP or typed in {fold(translator(x)("Skip")) for x in SUPPORTED_LOCALES}


@dataclass
class NumberStep(Step):
    """A whole number within bounds; quick choices are tapped or typed as the number itself.

    With `skipped`, a Skip button (or typing its label) answers "not said" in one tap.
    """

    name: str
    question: Text
    bounds: Callable[[Ctx], MaybeAwaitable[tuple[int, int]]]
    then: Then[int]
    quick: Callable[[Ctx], Sequence[int]] = lambda ctx: ()
    counted: bool = True
    numbered: bool = False
    skipped: Callable[[Ctx], MaybeAwaitable[Outcome]] | None = None
    parse: Callable[[str], int | None] = parse_whole_number  # e.g. minutes typed as "1h30"
    # What to say about a number out of bounds, instead of only the range.
    refused: Callable[[Ctx, int], MaybeAwaitable[str | None]] = lambda ctx, value: None

    async def prompt(self, ctx: Ctx) -> Reply:
        choices = tuple(Choice(str(n), ctx.t.number(n)) for n in self.quick(ctx))
        if self.skipped is not None:
            choices = (*choices, Choice(SKIP, ctx.t("Skip")))
        return Reply(await resolve(self.question(ctx)), choices)

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        if self.skipped is not None and skips(answer):
            return await resolve(self.skipped(ctx))
        low, high = await resolve(self.bounds(ctx))  # type: tuple[int, int]
        raw = answer.key if answer.key is not None else answer.text
        value = self.parse(raw)
        if value is not None and not low <= value <= high:
            reason = await resolve(self.refused(ctx, value))
            if reason is not None:
                return Invalid(reason)
        if value is None or not low <= value <= high:
            return Invalid(ctx.t(
                "Please type a number from {low} to {high}.",
                low=ctx.t.number(low), high=ctx.t.number(high),
            ))
        return await resolve(self.then(ctx, value))


@dataclass
class TextStep(Step):
    """Free text of bounded length; `then` may still answer Invalid after its own checks."""

    name: str
    question: Text
    then: Then[str | None]
    min_length: int = 1
    max_length: int = 500
    skippable: bool = False
    counted: bool = True
    numbered: bool = False
    reads_cancel: bool = True  # "hủy" may be the answer itself (a note, an alias): it asks

    @property
    def _cancel_key(self) -> str:
        return f"_cancel_or_{self.name}"

    async def prompt(self, ctx: Ctx) -> Reply:
        typed = ctx.draft.get(self._cancel_key)
        if typed is not None:
            return Reply(ctx.hint(
                N_("Did you mean to cancel? Tap Yes to cancel the conversation (nothing is "
                   "saved), or No to keep \"{text}\" as your answer."),
                N_("Did you mean to cancel? Answer Yes to cancel the conversation (nothing is "
                   "saved), or No to keep \"{text}\" as your answer."),
                text=typed), tuple(yes_no_choices(ctx)))
        skip = (Choice(SKIP, ctx.t("Skip")),) if self.skippable else ()
        return Reply(await resolve(self.question(ctx)), skip)

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        typed = ctx.draft.pop(self._cancel_key, None)
        if typed is not None:  # answering "did you mean to cancel?"
            meant = await yes_or_no(ctx, answer)
            if meant == "yes":
                return Done([Reply(ctx.t(CANCELLED))])
            if meant == "no":
                answer = Answer(str(typed), None)
            # anything else is a new answer to the question itself
        elif means_cancel(answer.text):
            ctx.draft[self._cancel_key] = answer.text.strip()
            return Stay()
        if self.skippable and skips(answer):
            return await resolve(self.then(ctx, None))
        text = " ".join(answer.text.split())
        length = visible_length(text)
        if not self.min_length <= length <= self.max_length:
            return Invalid(ctx.t(
                "Please type between {low} and {high} characters (you typed {count}).",
                low=ctx.t.number(self.min_length), high=ctx.t.number(self.max_length),
                count=ctx.t.number(length),
            ))
        return await resolve(self.then(ctx, text))

    def back_within(self, ctx: Ctx) -> bool:
        """From "did you mean to cancel?", "back" asks the question itself again."""
        return ctx.draft.pop(self._cancel_key, None) is not None


@dataclass
class DateStep(Step):
    """A day: "today"/"yesterday" choices or typed d/m, d/m/yyyy, d-m-yyyy, d.m.yyyy, ISO."""

    name: str
    question: Text
    then: Then[date]
    counted: bool = True
    numbered: bool = True  # typed "1" is "today": a date always has a separator

    async def prompt(self, ctx: Ctx) -> Reply:
        choices = (Choice("today", ctx.t("Today")), Choice("yesterday", ctx.t("Yesterday")))
        return Reply(await resolve(self.question(ctx)), choices)

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        if answer.key == "today":
            return await resolve(self.then(ctx, ctx.today))
        if answer.key == "yesterday":
            return await resolve(self.then(ctx, ctx.today - timedelta(days=1)))
        day = read_day(answer.text, ctx.today)
        if isinstance(day, NoSuchDay):
            return Invalid(ctx.t.plural(
                "There is no day {day} in {month}: it has {n} day. Please type the date again.",
                "There is no day {day} in {month}: it has {n} days. Please type the date again.",
                day.days_in_month,
                day=ctx.t.number(day.day),
                month=ctx.t.month(date(day.year, day.month, 1)),
            ))
        if day is None:
            return Invalid(ctx.t(
                "Please type a date as day/month or day/month/year, for example {example}.",
                example=typed_example(ctx.today),
            ))
        return await resolve(self.then(ctx, day))


ALL_WORDS = {"all", "tat ca", "ca", "het"}
NONE_WORDS = {"0", "none", "chua", "khong", "no"}


@dataclass
class MultiChoiceStep(Step):
    """Pick any of the options: taps toggle, "done" finishes; typed "1 3", "all", "0" finish."""

    name: str
    question: Text
    options: Callable[[Ctx], Sequence[Choice]]
    then: Then[list[str]]
    counted: bool = True
    # The answer given before, ticked again when the question comes back (Edit, « Back).
    answered: Callable[[Ctx], Sequence[str]] = lambda ctx: ()

    @property
    def _selection_key(self) -> str:
        return f"_selected_{self.name}"

    @property
    def _shown_key(self) -> str:
        return f"{SHOWN_PREFIX}{self.name}"

    def _selected(self, ctx: Ctx) -> list[str]:
        """Return the ticks so far: those of this asking, else the answer given before.

        That answer is kept under a key that « Back keeps too, so coming back to a question
        answered by typing "all" shows every box ticked, as coming back after taps does.
        """
        for key in (self._selection_key, self._shown_key):
            if key in ctx.draft:
                return list(ctx.draft[key])
        return list(self.answered(ctx))

    async def prompt(self, ctx: Ctx) -> Reply:
        selected = frozenset(self._selected(ctx))
        choices = (*self.options(ctx), Choice(DONE, ctx.t("Done")))
        return Reply(await resolve(self.question(ctx)), choices, multi=True, selected=selected)

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        options = list(self.options(ctx))
        keys = [c.key for c in options]
        selected = self._selected(ctx)
        if answer.key == DONE:
            return await self._finish(ctx, [k for k in keys if k in selected])
        if answer.key in keys and not answer.text:  # a tap toggles
            if answer.key in selected:
                selected.remove(answer.key)
            else:
                selected.append(answer.key)
            ctx.draft[self._selection_key] = selected
            return Stay()
        typed = fold(answer.text)
        if typed in ALL_WORDS:
            return await self._finish(ctx, keys)
        if typed in NONE_WORDS:
            return await self._finish(ctx, [])
        numbers = parse_numbers(typed)
        if numbers is not None and all(1 <= n <= len(keys) for n in numbers):
            return await self._finish(ctx, [k for i, k in enumerate(keys, 1) if i in numbers])
        if answer.key in keys:  # one label typed out
            return await self._finish(ctx, [answer.key])
        typed_label = await typed_key(ctx, answer.text, self.options)  # in the other language
        if typed_label is not None:
            return await self._finish(ctx, [typed_label])
        return Invalid(ctx.hint(
            N_("Tap the items and then Done, or type their numbers (for example 1 3), "
               "\"all\" or 0 for none."),
            N_("Type the numbers of the items (for example 1 3), \"all\" or 0 for none."),
        ))

    async def _finish(self, ctx: Ctx, chosen: list[str]) -> Outcome:
        ctx.draft.pop(self._selection_key, None)
        ctx.draft[self._shown_key] = chosen
        return await resolve(self.then(ctx, chosen))


SAVE = "save"


@dataclass
class ReviewStep(Step):
    """Show every answer with Save / Edit / Cancel; Edit picks one field to answer again,
    Cancel (tapped, or "hủy" typed) asks first whether to discard the answers."""

    name: str
    summary: Text
    fields: Callable[[Ctx], Sequence[tuple[str, str]]]  # (step name, translated field label)
    save: Callable[[Ctx], Awaitable[Outcome]]
    counted: bool = True
    reads_cancel: bool = True  # "hủy" typed here asks before discarding, as Cancel does

    @property
    def _mode_key(self) -> str:
        return f"_editing_{self.name}"

    @property
    def _discard_key(self) -> str:
        return f"_discarding_{self.name}"

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.draft.get(self._discard_key):
            return Reply(ctx.t("Discard all answers? Nothing of them will be saved."),
                         tuple(yes_no_choices(ctx)))
        if ctx.draft.get(self._mode_key):
            fields = tuple(Choice(step, label) for step, label in self.fields(ctx))
            return Reply(ctx.t("Which answer do you want to change?"), fields)
        return Reply(await resolve(self.summary(ctx)), self.decisions(ctx))

    @staticmethod
    def decisions(ctx: Ctx) -> tuple[Choice, ...]:
        """Return the review's choices (to read a Save typed again after the conversation)."""
        return (
            Choice(SAVE, ctx.t("Save")),
            Choice("edit", ctx.t("Edit")),
            Choice(CANCEL, ctx.t("Cancel")),
        )

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        if ctx.draft.get(self._discard_key):
            meant = await yes_or_no(ctx, answer)
            if meant == "yes":
                return Done([Reply(ctx.t(CANCELLED))])
            if meant == "no":  # back to the review, every answer kept
                ctx.draft.pop(self._discard_key)
                return Stay()
            return Invalid(ctx.t("Please choose 1 to discard the answers or 2 to keep them."))
        if answer.key == CANCEL or (answer.key is None and means_cancel(answer.text)):
            ctx.draft.pop(self._mode_key, None)
            ctx.draft[self._discard_key] = True
            return Stay()
        if ctx.draft.get(self._mode_key):
            steps = {step for step, _ in self.fields(ctx)}
            if answer.key in steps:
                ctx.draft.pop(self._mode_key)
                return Edit(answer.key)
            return Invalid(ctx.t("Please pick the answer to change by its number."))
        if answer.key == SAVE:
            return await self.save(ctx)
        if answer.key == "edit":
            ctx.draft[self._mode_key] = True
            return Stay()
        return Invalid(ctx.t("Please choose 1 to save, 2 to edit or 3 to cancel."))

    def back_within(self, ctx: Ctx) -> bool:
        """From the list of answers to edit, or "discard?", "back" returns to the review."""
        editing = ctx.draft.pop(self._mode_key, None) is not None
        return ctx.draft.pop(self._discard_key, None) is not None or editing


@dataclass
class Flow:
    """A named conversation: its steps in order and how it starts."""

    name: str
    steps: Sequence[Step]
    start: Callable[[Ctx, str], MaybeAwaitable[Outcome]] | None = None
    # Nothing typed is lost by dropping it (a mere choice of cell or language): any command
    # then simply replaces it, instead of waiting for an answer or /huy.
    disposable: bool = False
    # Draft keys kept once a review's Save has ended the conversation (never typed text), and
    # the answer to that Save arriving again, from a draft of only those keys.
    recap: tuple[str, ...] = ()
    saved_again: Callable[[Ctx], Awaitable[Sequence[Reply]]] | None = None

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"flow {self.name} has no step {name}")

    def position(self, name: str) -> tuple[int, int] | None:
        """Return (n, total) for the "(n/total)" shown before a question, or None."""
        counted = [s.name for s in self.steps if s.counted]
        return (counted.index(name) + 1, len(counted)) if name in counted else None

    async def begin(self, ctx: Ctx, args: str) -> Outcome:
        if self.start is None:
            return Next(self.steps[0].name)
        return await resolve(self.start(ctx, args))


BACK_LABEL = N_("« Back")
BACK_WORDS = {"back", "quay lai", "tro lai", "<", "«"}


def interpret(step: Step, reply: Reply, inbound: Inbound, back_label: str) -> Answer:
    """Turn a tap or a typed answer into an Answer for `step` (back is handled by the caller)."""
    if inbound.choice is not None:
        return Answer("", inbound.choice)
    text = inbound.text.strip()
    folded = fold(text)
    if folded in BACK_WORDS or folded == fold(back_label):
        return Answer(text, BACK)
    choices = list(reply.choices)
    if step.numbered:
        chosen = match_choice(text, choices)
    else:  # digits are the answer itself here; only labels pick a choice
        chosen = next((c for c in choices if fold(c.label) == folded), None)
    return Answer(text, chosen.key if chosen else None)
