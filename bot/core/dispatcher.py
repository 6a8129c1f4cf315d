"""Route each Inbound to a command or to the step its user is at; keep the step in SQLite."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import notices
from bot.core.cleaning import cleaned
from bot.core.commands import Command, Registry
from bot.core.ended import ended_roles_notice
from bot.core.flow import (
    BACK,
    BACK_LABEL,
    CANCEL_WORDS,
    CANCELLED,
    RETURN_KEY,
    SAVE,
    Ctx,
    Done,
    Edit,
    Flow,
    Handover,
    Invalid,
    Outcome,
    ReviewStep,
    Say,
    Stay,
    cancels_conversation,
    interpret,
)
from bot.core.matching import fold, match_choice
from bot.core.messages import MAX_FILE_BYTES, Choice, Inbound, InboundKind, Reply
from bot.core.outbound import Outbox, Undeliverable
from bot.core.port import Response
from bot.domain.org import User
from bot.domain.rulebook import Rulebook
from bot.i18n import Translator, choose_locale, translator
from bot.logsafe import log_failure
from bot.storage.conversations import (
    CLOSED,
    EXPIRED,
    SAVED,
    ConversationState,
    ConversationStore,
    Ended,
    Row,
)
from bot.storage.database import Database, Rider
from bot.storage.errors import Stale
from bot.storage.sums import judge_with
from bot.storage.users import UserRepository

log = logging.getLogger(__name__)

ASKED_KEPT = 5_000  # users whose last question is kept in memory to read their next answer
# Answers only for people not yet registered (everything else gets the explanation).
PUBLIC_NAMES = {"start"}
# A Save typed again (not tapped on the review), or a failed send, this soon after a save is
# answered "already saved"; later, typed text is read as anything else typed.
SAVED_RECENTLY = timedelta(hours=1)
# Recap key: a digest of the answer that saved (never the text itself), to know it again.
ANSWER_KEY = "_answer"
# Draft key of a conversation a save handed over to (another step?): that save, until the
# next answer, so that a failed send or a repeat of the save is answered "already saved".
JUST_SAVED = "_just_saved"
# Draft key of a conversation a menu handed over to: the menu's question as it was asked, so
# that « Back on the first question returns to it (a wrong item tapped costs no restart).
CAME_FROM = "_came_from"


def json_copy(value: Any) -> Any:
    """Copy a JSON value (a draft): a few µs, where copy.deepcopy takes several times that."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def question_token(state: ConversationState | Ended) -> str:
    """Name this asking of a question, so that a tap can say which one it answers."""
    return f"{state.flow}.{state.step}.{state.question_id}"


def answer_digest(inbound: Inbound) -> str:
    """Name an answer (a tap, a file, folded text) without keeping what was typed."""
    if inbound.attachment is not None:
        content = b"file:" + inbound.attachment.data
    elif inbound.choice is not None:
        content = f"tap:{inbound.choice}".encode()
    else:
        content = f"text:{fold(inbound.text)}".encode()
    return hashlib.sha256(content).hexdigest()[:16]


def just_saved(state: ConversationState) -> Ended | None:
    """Take from a handed-over conversation the save it came from, if no answer came since."""
    marked = state.draft.pop(JUST_SAVED, None)
    if not isinstance(marked, dict):
        return None
    return Ended(marked["flow"], marked["step"], marked["question"], SAVED, marked["recap"],
                 datetime.fromisoformat(marked["at"]))


@dataclass
class Loaded:
    """What a turn found of the user's conversation, and what to tell them about it first."""

    row: Row
    state: ConversationState | None = None  # the conversation under way
    ended: Ended | None = None  # or how the last one ended
    notice: str = ""  # a dropped conversation, said before the answer


class Dispatcher:
    """The core as channels see it (`bot.core.port.Port`): updates in, replies out."""

    def __init__(
        self,
        db: Database,
        rules: Rulebook,
        registry: Registry,
        timezone: ZoneInfo,
        default_locale: str,
        clock: Callable[[], datetime] | None = None,
        outbox: Outbox | None = None,
    ):
        self.db = db
        self.rules = rules
        self.registry = registry
        self.timezone = timezone
        self.default_locale = default_locale
        self._clock = clock or (lambda: datetime.now(self.timezone))
        self.users = UserRepository(db)
        self.conversations = ConversationStore(db)
        judge_with(db, rules, timezone)  # the summaries' sums judged by these rules and zone
        self.outbox = outbox or Outbox()  # the running channels' senders, for `ctx.say`
        # The question last asked of each user (a restart forgets it: it is asked anew).
        self._asked: OrderedDict[int, Reply] = OrderedDict()

    def now(self) -> datetime:
        return self._clock().astimezone(self.timezone)

    # The port ----------------------------------------------------------------------------

    async def begin(self, inbound: Inbound) -> UserTurn:
        """Look up the user behind `inbound` and their question; never raise."""
        turn = await self._look_up(cleaned(inbound))
        turn.given = inbound  # answered as it is, it need not be cleaned again
        return turn

    async def _look_up(self, inbound: Inbound) -> UserTurn:
        if inbound.kind is InboundKind.GROUP:  # nobody to look up: just the pointer
            return UserTurn(self, self._guest_context(inbound), None, failed=False)
        try:
            ctx = await self.context_for(inbound)
            if not ctx.user.grants:
                return UserTurn(self, ctx, None, failed=False)
            loaded = await self._load(ctx)
        except Exception as error:
            log_failure(log, f"looking up a user failed (channel={inbound.channel})", error)
            return UserTurn(self, self._guest_context(inbound), None, failed=True)
        return UserTurn(self, ctx, loaded, failed=False)

    async def respond(self, inbound: Inbound) -> Response:
        """Answer one update; never raise."""
        turn = await self.begin(inbound)
        return await turn.respond(inbound)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one message or tap; never raise: a failure gets an apology."""
        return (await self.respond(inbound)).replies

    async def healthy(self) -> bool:
        """Tell whether the database answers a read (for the webhook's /healthz)."""
        try:
            return bool(await self.db.scalar("SELECT 1"))
        except Exception as error:
            log_failure(log, "the health check found the database not answering", error)
            return False

    # Contexts ----------------------------------------------------------------------------

    async def context_for(self, inbound: Inbound) -> Ctx:
        """Build the context of the user behind `inbound` (a guest when not registered)."""
        user = await self.users.find(inbound.channel, inbound.user_key, self.now().date())
        if user is None:
            return self._guest_context(inbound)
        locale = choose_locale(user.locale, inbound.language_code, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound,
                   say=self._say_to(inbound), tell=self._tell)

    def _say_to(self, inbound: Inbound) -> Say:
        """Return how a handler sends a notice at once to the chat `inbound` came from."""

        async def say(replies: Sequence[Reply]) -> None:
            try:
                await self.outbox.send_to(inbound.channel, inbound.user_key, replies)
            except Undeliverable:  # no channel to carry it (a test chat): the answer still comes
                log.info("no early notice on %s: the channel is not running", inbound.channel)
            except Exception as error:  # a courtesy: its failure must not lose the answer
                log_failure(log, f"an early notice failed (channel={inbound.channel})", error)

        return say

    async def _tell(self, user: User, app_locale: str | None,
                    compose: Callable[[Ctx], Sequence[Reply]]) -> bool:
        """Send another user what `compose` writes in their language; True once sent."""
        try:
            await self.outbox.send(user, compose(self.context_of(user, app_locale)))
        except Undeliverable as error:
            log.info("a message to user %d was not sent (%s)", user.id, type(error).__name__)
            return False
        except Exception as error:  # the user who caused it still gets their answer
            log_failure(log, f"a message to user {user.id} failed", error)
            return False
        return True

    def context_of(self, user: User, app_locale: str | None = None) -> Ctx:
        """Build a context for speaking first to `user` (a reminder): their language, scope.

        `app_locale` is the language their app reported when they last wrote, for a user who
        never chose one.
        """
        inbound = Inbound(user.channel, user.user_key, kind=InboundKind.NOTHING)
        locale = choose_locale(user.locale, app_locale, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound)

    async def context_for_user(self, channel: str, user_key: str) -> Ctx | None:
        """Build the context of a registered user, to speak first; None if not registered."""
        user = await self.users.find(channel, user_key, self.now().date())
        return None if user is None or not user.grants else self.context_of(user)

    def _guest_context(self, inbound: Inbound) -> Ctx:
        user = User(0, inbound.channel, inbound.user_key, None, ())
        locale = choose_locale(None, inbound.language_code, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound,
                   tell=self._tell)  # a guest guessing codes warns the administrators

    async def _repeat(self, ctx: Ctx, state: ConversationState | None) -> list[Reply]:
        """Ask again the question the user is at, if any."""
        if state is None:
            return []
        return await self._ask(ctx, self._flow_of(state), state, edit=False)

    async def _where_they_are(self, ctx: Ctx, loaded: Loaded) -> list[Reply]:
        """Answer an update already applied: the question they are at, or what was saved."""
        if loaded.state is not None:
            saved = just_saved(loaded.state)  # the repeat is of the save that led here
            before = await self._saved_again(ctx, saved) if saved is not None else []
            return [*before, *await self._repeat(ctx, loaded.state)]
        if loaded.ended is not None and loaded.ended.how == SAVED:
            return await self._saved_again(ctx, loaded.ended)
        return [Reply(ctx.t("Send /help to see what you can do."))]

    async def _saved_again(self, ctx: Ctx, ended: Ended) -> list[Reply]:
        """Answer a Save that arrives for a conversation already saved: nothing is saved."""
        flow = self.registry.flow(ended.flow)
        if flow is None or flow.saved_again is None:
            return [Reply(ctx.t(notices.ALREADY_SAVED))]
        ctx.draft = dict(ended.recap)
        return list(await flow.saved_again(ctx))

    async def _route(self, ctx: Ctx, loaded: Loaded | None) -> list[Reply]:
        notice = [Reply(loaded.notice)] if loaded is not None and loaded.notice else []
        if ctx.user.ended and ctx.inbound.kind not in (InboundKind.GROUP, InboundKind.NOTHING):
            notice += await ended_roles_notice(ctx)  # a role whose unit was merged away
        return notice + await self._route_kind(ctx, loaded)

    async def _route_kind(self, ctx: Ctx, loaded: Loaded | None) -> list[Reply]:
        state = None if loaded is None else loaded.state
        ended = None if loaded is None else loaded.ended
        kind = ctx.inbound.kind
        if kind is InboundKind.GROUP:
            return [Reply(ctx.t(notices.GROUP))]
        if kind is InboundKind.EDITED:
            return [Reply(ctx.t(notices.EDITED))]
        if kind is InboundKind.UNREADABLE:
            return [Reply(ctx.t(notices.UNREADABLE)), *await self._repeat(ctx, state)]
        if kind is InboundKind.TOO_LARGE:
            size = ctx.t.number(MAX_FILE_BYTES // 1_000_000)
            return [Reply(ctx.t(notices.FILE_TOO_LARGE, size=size)),
                    *await self._repeat(ctx, state)]
        if kind is InboundKind.FAILED:  # a failed send may be why the user never saw it
            if state is None and ended is not None and self._saved_recently(ctx, ended):
                return await self._saved_again(ctx, ended)  # never "try again" after a save
            saved = None if state is None else just_saved(state)
            if saved is not None and self._saved_recently(ctx, saved):
                return [*await self._saved_again(ctx, saved), *await self._repeat(ctx, state)]
            return [Reply(ctx.t(notices.APOLOGY)), *await self._repeat(ctx, state)]
        if kind is InboundKind.NOTHING:
            return []
        command = ctx.inbound.command
        if not ctx.user.grants:
            if command is not None and command[0] in PUBLIC_NAMES:
                return await self._run_command(ctx, command[0], command[1])
            return await self._run_command(ctx, "start", "")
        assert loaded is not None, "a registered user's conversation is looked up"
        return await self._route_registered(ctx, loaded, command)

    def _saved_recently(self, ctx: Ctx, ended: Ended) -> bool:
        return ended.how == SAVED and ctx.now - ended.at < SAVED_RECENTLY

    def _saves_again(self, ctx: Ctx, ended: Ended | None) -> bool:
        """Tell whether this answer is the Save of a conversation already saved."""
        if ended is None or ended.how != SAVED:
            return False
        inbound = ctx.inbound
        if inbound.choice is not None:
            return inbound.token == question_token(ended)
        if not self._saved_recently(ctx, ended):
            return False
        if ended.recap.get(ANSWER_KEY) == answer_digest(inbound):  # the same answer again
            return True
        flow = self.registry.flow(ended.flow)
        step = None if flow is None else next(
            (s for s in flow.steps if s.name == ended.step), None)
        if not isinstance(step, ReviewStep):
            return False
        chosen = match_choice(inbound.text, step.decisions(ctx))
        return chosen is not None and chosen.key == SAVE

    async def _route_registered(
        self, ctx: Ctx, loaded: Loaded, command: tuple[str, str] | None
    ) -> list[Reply]:
        state = loaded.state
        replacing = command is not None and command[0] not in CANCEL_WORDS
        if replacing and state is not None and self._flow_of(state).disposable:
            await self._end(ctx, state, CLOSED)  # a new command replaces a mere choice
            state = None
        if command is not None:
            name, args = command
            if name in CANCEL_WORDS:
                return await self._cancel(ctx, state)
            found = self.registry.find(name)
            if found is None:
                return [Reply(ctx.t(
                    "I do not know the command /{name}. Send /help to see what I can do.",
                    name=name,
                ))]
            if state is not None and found.flow is not None:
                quick = await self._without_questions(ctx, found, args)
                pending = await self._ask(ctx, self._flow_of(state), state, edit=False)
                if quick is not None:  # e.g. /tinhhinh in the middle of a report
                    return [*quick, *pending]
                note = Reply(ctx.t(
                    "You have an unfinished conversation. Answer the question below, "
                    "or send /cancel to cancel it first."
                ))
                return [note, *pending]
            replies = await self._run_command(ctx, name, args)
            if state is not None and found.flow is None:  # show where they were
                replies += await self._ask(ctx, self._flow_of(state), state, edit=False)
            return replies
        if state is None:
            if self._saves_again(ctx, loaded.ended):
                assert loaded.ended is not None
                return await self._saved_again(ctx, loaded.ended)
            return [Reply(ctx.t("Send /help to see what you can do."))]
        return await self._answer(ctx, self._flow_of(state), state)

    async def _without_questions(
        self, ctx: Ctx, command: Command, args: str
    ) -> list[Reply] | None:
        """Run a conversation that answers at once (nothing to ask); None if it would ask."""
        assert command.flow is not None
        if not command.allowed(ctx.user):
            return [Reply(ctx.t("This command is not available for your role."))]
        ctx.draft = {}  # a scratch draft: the unfinished conversation stays as it is
        outcome = await command.flow.begin(ctx, args)
        if isinstance(outcome, Done):
            return list(outcome.replies)
        if isinstance(outcome, Invalid):
            return [Reply(outcome.message)]
        return None

    def _flow_of(self, state: ConversationState) -> Flow:
        flow = self.registry.flow(state.flow)
        assert flow is not None, "_load keeps only states of known flows"
        return flow

    async def _load(self, ctx: Ctx) -> Loaded:
        """Load the user's conversation; drop one that is stale or cannot be followed.

        A flow or step renamed or removed by an upgrade would leave the user at a dead end,
        and a draft unanswered for the rulebook's days holds what they typed for nothing:
        either is dropped, and they are told why.
        """
        row, state, ended = await self.conversations.read(ctx.user.id)
        ctx.conversation = row
        loaded = Loaded(row, state, ended)
        if state is not None:
            flow = self.registry.flow(state.flow)
            known = {step.name for step in flow.steps} if flow is not None else set()
            if flow is None or not all(name in known for name in state.steps_named()):
                await self._end(ctx, state, CLOSED)
                return Loaded(row, notice=ctx.t(
                    "The bot was updated, and your unfinished conversation could not be kept. "
                    "Please start it again."))
            assert row.updated_at is not None
            if ctx.now - row.updated_at > self.draft_lifetime:
                await self._end(ctx, state, CLOSED)
                return Loaded(row, notice=self._expired_notice(ctx, row.updated_at))
        elif ended is not None and ended.how == EXPIRED:  # dropped while they were away
            await self.conversations.forget_expiry(row)
            return Loaded(row, notice=self._expired_notice(ctx, ended.at))
        return loaded

    @property
    def draft_lifetime(self) -> timedelta:
        return timedelta(days=int(self.rules.policy("draft_days")))

    def _expired_notice(self, ctx: Ctx, since: datetime) -> str:
        days = self.draft_lifetime.days
        return ctx.t.plural(
            "Your unfinished conversation of {date} was dropped: it had no answer for {n} "
            "day. Nothing of it was saved; please start again.",
            "Your unfinished conversation of {date} was dropped: it had no answer for {n} "
            "days. Nothing of it was saved; please start again.",
            days, date=ctx.t.date(since.astimezone(self.timezone).date()),
        )

    async def expire_drafts(self) -> int:
        """Drop every draft unanswered for the rulebook's days (its user is told later)."""
        return await self.conversations.expire(self.now() - self.draft_lifetime)

    async def _save(self, ctx: Ctx, state: ConversationState) -> None:
        """Write the state, conditional on the row as this turn read it (else Stale)."""
        assert ctx.conversation is not None
        await self.conversations.write(ctx.conversation, state, ctx.now, ctx.inbound.update_id)

    async def _end(self, ctx: Ctx, state: ConversationState, how: str) -> None:
        assert ctx.conversation is not None
        await self.conversations.end(ctx.conversation, state, how, ctx.now,
                                     ctx.inbound.update_id)

    async def _run_command(self, ctx: Ctx, name: str, args: str) -> list[Reply]:
        command = self.registry.find(name)
        if command is None:
            return [Reply(ctx.t("Send /help to see what you can do."))]
        if ctx.user.grants and not command.allowed(ctx.user):
            return [Reply(ctx.t("This command is not available for your role."))]
        if command.flow is not None:
            return await self._begin(ctx, command, args)
        assert command.action is not None
        return list(await command.action(ctx, args))

    async def _begin(self, ctx: Ctx, command: Command, args: str) -> list[Reply]:
        assert command.flow is not None
        flow = command.flow
        state = ConversationState(flow.name, flow.steps[0].name)
        ctx.draft = state.draft
        outcome = await flow.begin(ctx, args)
        return await self._apply(ctx, flow, state, outcome, first=True)

    async def _cancel(self, ctx: Ctx, state: ConversationState | None) -> list[Reply]:
        if state is None:
            return [Reply(ctx.t("There is nothing to cancel."))]
        await self._end(ctx, state, CLOSED)
        return [Reply(ctx.t(CANCELLED))]

    async def _answer(self, ctx: Ctx, flow: Flow, state: ConversationState) -> list[Reply]:
        ctx.draft = state.draft
        step = flow.step(state.step)
        saved = just_saved(state)  # this answer moves on from it: the next write drops it
        prompt = await self._as_asked(ctx, flow, state)
        if ctx.inbound.choice is not None and ctx.inbound.token != prompt.token:
            if saved is not None and ctx.inbound.token == question_token(saved):
                return [*await self._saved_again(ctx, saved), prompt]
            return [Reply(ctx.t(notices.STALE_TAP_THEN_CURRENT)), prompt]
        answer = interpret(step, prompt, ctx.inbound, ctx.t(BACK_LABEL))
        if cancels_conversation(step, prompt, answer):  # "huy" typed without its slash
            return await self._cancel(ctx, state)
        if answer.key == BACK and step.back_within(ctx):
            state.ask_anew()
            await self._save(ctx, state)
            return await self._ask(ctx, flow, state, edit=False)
        if answer.key == BACK and state.history:
            state.go_back()
            state.ask_anew()
            await self._save(ctx, state)
            return await self._ask(ctx, flow, state, edit=False)
        if answer.key == BACK and (came_from := self._came_from(state)) is not None:
            menu_flow, menu = came_from
            menu.ask_anew()
            await self._save(ctx, menu)
            return await self._ask(ctx, menu_flow, menu, edit=False)
        before = json_copy(state.draft)
        # Whatever this answer saves ends the conversation in the save's own transaction.
        recap = {key: state.draft[key] for key in flow.recap if key in state.draft}
        row = ctx.conversation
        assert row is not None

        def end_by_saving() -> Rider:
            recap[ANSWER_KEY] = answer_digest(ctx.inbound)
            return self.conversations.ending(row, state, SAVED, ctx.now, ctx.inbound.update_id,
                                             recap)

        ctx.end_by_saving = end_by_saving
        outcome = await step.receive(ctx, answer)
        ctx.end_by_saving = None
        saved = None
        if ctx.saved:
            self.conversations.ended(row, ctx.ending[0], ctx.now)
            saved = Ended(flow.name, state.step, state.question_id, SAVED, recap, ctx.now)
        return await self._apply(ctx, flow, state, outcome, first=False, before=before,
                                 saved=saved)

    async def _apply(
        self,
        ctx: Ctx,
        flow: Flow,
        state: ConversationState,
        outcome: Outcome,
        first: bool,
        before: dict[str, Any] | None = None,
        saved: Ended | None = None,
    ) -> list[Reply]:
        if isinstance(outcome, Handover):
            return await self._hand_over(ctx, state, outcome, saved, before)
        if isinstance(outcome, Done):
            if not first:
                await self._end(ctx, state, CLOSED)  # nothing to do if the save ended it
            return list(outcome.replies)
        if isinstance(outcome, Invalid):
            if first:  # a flow that cannot start says why and stores nothing
                return [Reply(outcome.message)]
            prompt = await self._prompt(ctx, flow, state)
            return [Reply(f"{outcome.message}\n\n{prompt.text}", prompt.choices, prompt.multi,
                          prompt.selected, prompt.token, numbered=prompt.numbered)]
        if isinstance(outcome, Stay):
            await self._save(ctx, state)
            return await self._ask(ctx, flow, state, edit=True)
        if isinstance(outcome, Edit):
            state.remember(before if before is not None else {})
            state.draft[RETURN_KEY] = state.step
            state.step = outcome.step
        else:  # Next
            target = outcome.step
            returning = state.draft.get(RETURN_KEY)
            if returning and not outcome.force:
                target = state.draft.pop(RETURN_KEY)
            if not first:
                state.remember(before if before is not None else {})
            state.step = target
        flow.step(state.step)  # fail loudly on a typo, before anything is stored
        state.ask_anew()
        await self._save(ctx, state)
        return await self._ask(ctx, flow, state, edit=False)

    async def _as_asked(self, ctx: Ctx, flow: Flow, state: ConversationState) -> Reply:
        """Return the user's current question as it was asked (kept in memory), else anew.

        An answer is read against what the user saw ("2" is the second button shown), and
        the question need not be written out again only to read it.
        """
        asked = self._asked.get(ctx.user.id)
        if asked is not None and asked.token == question_token(state):
            return asked
        return await self._prompt(ctx, flow, state)

    async def _hand_over(
        self, ctx: Ctx, old: ConversationState, handover: Handover, saved: Ended | None = None,
        before: dict[str, Any] | None = None,
    ) -> list[Reply]:
        """Replace the user's conversation by the flow handed to, begun from its draft.

        After a save (`saved`), the new conversation keeps it until its first answer; else
        it keeps the question that handed over (`before`: its draft when asked), for « Back.
        """
        flow = self.registry.flow(handover.flow)
        if flow is None:
            raise KeyError(f"no flow {handover.flow} to hand over to")
        ending = ConversationState(old.flow, old.step, {}, [], old.question_id)
        state = ConversationState(flow.name, flow.steps[0].name, dict(handover.draft))
        ctx.draft = state.draft
        outcome = await flow.begin(ctx, "")
        if saved is not None:
            state.draft[JUST_SAVED] = {"flow": saved.flow, "step": saved.step,
                                       "question": saved.question_id, "recap": saved.recap,
                                       "at": saved.at.isoformat()}
        elif before is not None:
            state.draft[CAME_FROM] = {"flow": old.flow, "step": old.step, "draft": before,
                                      "history": old.history}
        if isinstance(outcome, Done | Invalid):  # nothing to ask: the conversation ends here
            await self._end(ctx, ending, CLOSED)  # (already ended by a save that handed over)
        return await self._apply(ctx, flow, state, outcome, first=True)

    def _came_from(self, state: ConversationState) -> tuple[Flow, ConversationState] | None:
        """Return the menu question this conversation was handed over from, on its first
        question only, while that flow still has that step (an upgrade may remove it)."""
        came = state.draft.get(CAME_FROM)
        if state.history or not isinstance(came, dict):
            return None
        flow = self.registry.flow(str(came.get("flow")))
        if flow is None or came.get("step") not in {step.name for step in flow.steps}:
            return None
        return flow, ConversationState(flow.name, str(came["step"]), json_copy(came["draft"]),
                                       json_copy(came.get("history", [])))

    async def _prompt(self, ctx: Ctx, flow: Flow, state: ConversationState) -> Reply:
        ctx.draft = state.draft
        step = flow.step(state.step)
        reply = await step.prompt(ctx)
        text = reply.text
        position = flow.position(step.name)
        if position is not None:
            text = f"({position[0]}/{position[1]}) {text}"
        choices = reply.choices
        if state.history or self._came_from(state) is not None:
            choices = (*choices, Choice(BACK, ctx.t(BACK_LABEL)))
        token = question_token(state)
        prompt = Reply(text, choices, reply.multi, reply.selected, token, reply.attachment,
                       numbered=step.numbered)
        if ctx.user.id:  # registered: only they have conversations
            self._asked[ctx.user.id] = prompt
            self._asked.move_to_end(ctx.user.id)
            if len(self._asked) > ASKED_KEPT:
                self._asked.popitem(last=False)
        return prompt

    async def _ask(
        self, ctx: Ctx, flow: Flow, state: ConversationState, edit: bool
    ) -> list[Reply]:
        prompt = await self._prompt(ctx, flow, state)
        if edit:
            return [Reply(prompt.text, prompt.choices, prompt.multi, prompt.selected,
                          prompt.token, prompt.attachment, edit=True, numbered=prompt.numbered)]
        return [prompt]


class UserTurn:
    """One update of one user (`bot.core.port.Turn`): looked up once, answered once."""

    def __init__(self, dispatcher: Dispatcher, ctx: Ctx, loaded: Loaded | None, failed: bool):
        self._dispatcher = dispatcher
        self._ctx = ctx
        self._loaded = loaded
        self._failed = failed  # the lookup failed: only an apology can be given
        self.given: Inbound | None = None  # the update the turn began with, before cleaning

    @property
    def token(self) -> str | None:
        """Name the question the user is at; after a save, the review it was saved from."""
        loaded = self._loaded
        if loaded is None:
            return None
        if loaded.state is not None:
            return question_token(loaded.state)
        if loaded.ended is not None and loaded.ended.how == SAVED:
            return question_token(loaded.ended)  # a Save tapped again: "already saved"
        return None

    @property
    def t(self) -> Translator:
        return self._ctx.t

    async def respond(self, inbound: Inbound) -> Response:
        ctx, dispatcher, loaded = self._ctx, self._dispatcher, self._loaded
        ctx.inbound = inbound = ctx.inbound if inbound is self.given else cleaned(inbound)
        try:
            if self._failed:
                replies = [Reply(ctx.t(notices.APOLOGY))]
            elif loaded is not None and loaded.row.repeats(inbound.update_id, ctx.now):
                log.info("an update already applied came again (channel=%s); not applied",
                         inbound.channel)
                replies = await dispatcher._where_they_are(ctx, loaded)
            else:
                registered = bool(ctx.user.grants)
                if registered:
                    await self._note_use(inbound)
                replies = await dispatcher._route(ctx, loaded)
                if not registered and ctx.user.grants:  # just registered (/start CODE)
                    await self._note_use(inbound)
                elif loaded is not None and inbound.update_id is not None \
                        and loaded.row.last_update != inbound.update_id:
                    # Nothing carried its id (a command answered at once): keep it apart.
                    await dispatcher.conversations.note_update(loaded.row, inbound.update_id,
                                                               ctx.now)
        except Stale:
            log.info("an answer was refused: the conversation changed meanwhile (channel=%s)",
                     inbound.channel)
            replies = await self._refused(ctx)
        except Exception as error:
            log_failure(log, f"handling an update failed (channel={inbound.channel})", error)
            saved = ctx.saved
            # After a save, "try again" would save twice: say it is saved instead.
            replies = [Reply(ctx.t(notices.SAVED_THEN_FAILED if saved else notices.APOLOGY))]
        return Response(replies, ctx.user, ctx.t.locale)

    async def _note_use(self, inbound: Inbound) -> None:
        """Remember the chat and the app's language: the bot's own messages (reminders) go to
        the chat used last, in that language when the user chose none."""
        if inbound.kind is not InboundKind.NOTHING:
            await self._dispatcher.users.note_use(
                self._ctx.user.id, inbound.channel, inbound.user_key,
                choose_locale(None, inbound.language_code, "") or None)

    async def _refused(self, ctx: Ctx) -> list[Reply]:
        """Answer an update whose write another came first for: where things stand now."""
        note = Reply(ctx.t(notices.REFUSED))
        try:
            loaded = await self._dispatcher._load(ctx)
            return [note, *await self._dispatcher._where_they_are(ctx, loaded)]
        except Exception as error:
            log_failure(log, "reading a conversation again failed", error)
            return [note]
