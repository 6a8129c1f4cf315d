"""Route each Inbound to a command or to the step its user is at; keep the step in SQLite."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import notices
from bot.core.commands import Command, Registry
from bot.core.ended import ended_roles_notice
from bot.core.flow import (
    BACK,
    BACK_LABEL,
    RETURN_KEY,
    Ctx,
    Done,
    Edit,
    Flow,
    Handover,
    Invalid,
    Outcome,
    Stay,
    interpret,
)
from bot.core.messages import MAX_FILE_BYTES, Choice, Inbound, InboundKind, Reply
from bot.core.port import Response
from bot.domain.org import User
from bot.domain.rulebook import Rulebook
from bot.i18n import Translator, choose_locale, translator
from bot.logsafe import log_failure
from bot.storage.conversations import ConversationState, ConversationStore
from bot.storage.database import Database
from bot.storage.users import UserRepository

log = logging.getLogger(__name__)

CANCEL_NAMES = {"huy", "cancel"}
ASKED_KEPT = 5_000  # users whose last question is kept in memory to read their next answer
# Answers only for people not yet registered (everything else gets the explanation).
PUBLIC_NAMES = {"start"}


def json_copy(value: Any) -> Any:
    """Copy a JSON value (a draft): a few µs, where copy.deepcopy takes several times that."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def question_token(state: ConversationState) -> str:
    """Name this asking of a question, so that a tap can say which one it answers."""
    return f"{state.flow}.{state.step}.{state.question_id}"


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
    ):
        self.db = db
        self.rules = rules
        self.registry = registry
        self.timezone = timezone
        self.default_locale = default_locale
        self._clock = clock or (lambda: datetime.now(self.timezone))
        self.users = UserRepository(db)
        self.conversations = ConversationStore(db)
        # The question last asked of each user (a restart forgets it: it is asked anew).
        self._asked: OrderedDict[int, Reply] = OrderedDict()

    def now(self) -> datetime:
        return self._clock().astimezone(self.timezone)

    # The port ----------------------------------------------------------------------------

    async def begin(self, inbound: Inbound) -> UserTurn:
        """Look up the user behind `inbound` and their question; never raise."""
        if inbound.kind is InboundKind.GROUP:  # nobody to look up: just the pointer
            return UserTurn(self, self._guest_context(inbound), None, failed=False)
        try:
            ctx = await self.context_for(inbound)
            if not ctx.user.grants:
                return UserTurn(self, ctx, None, failed=False)
            state, dropped = await self._load_state(ctx)
        except Exception as error:
            log_failure(log, f"looking up a user failed (channel={inbound.channel})", error)
            return UserTurn(self, self._guest_context(inbound), None, failed=True)
        return UserTurn(self, ctx, state, failed=False, dropped=dropped)

    async def respond(self, inbound: Inbound) -> Response:
        """Answer one update; never raise."""
        turn = await self.begin(inbound)
        return await turn.respond(inbound)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one message or tap; never raise: a failure gets an apology."""
        return (await self.respond(inbound)).replies

    # Contexts ----------------------------------------------------------------------------

    async def context_for(self, inbound: Inbound) -> Ctx:
        """Build the context of the user behind `inbound` (a guest when not registered)."""
        user = await self.users.find(inbound.channel, inbound.user_key, self.now().date())
        if user is None:
            return self._guest_context(inbound)
        locale = choose_locale(user.locale, inbound.language_code, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound)

    def context_of(self, user: User) -> Ctx:
        """Build a context for speaking first to `user` (a reminder): their language, scope."""
        inbound = Inbound(user.channel, user.user_key, kind=InboundKind.NOTHING)
        locale = choose_locale(user.locale, None, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound)

    async def context_for_user(self, channel: str, user_key: str) -> Ctx | None:
        """Build the context of a registered user, to speak first; None if not registered."""
        user = await self.users.find(channel, user_key, self.now().date())
        return None if user is None or not user.grants else self.context_of(user)

    def _guest_context(self, inbound: Inbound) -> Ctx:
        user = User(0, inbound.channel, inbound.user_key, None, ())
        locale = choose_locale(None, inbound.language_code, self.default_locale)
        return Ctx(user, translator(locale), self.db, self.rules, self.now(), inbound)

    async def _repeat(self, ctx: Ctx, state: ConversationState | None) -> list[Reply]:
        """Ask again the question the user is at, if any."""
        if state is None:
            return []
        return await self._ask(ctx, self._flow_of(state), state, edit=False)

    async def _route(
        self, ctx: Ctx, state: ConversationState | None, dropped: bool
    ) -> list[Reply]:
        notice = [Reply(ctx.t(
            "The bot was updated, and your unfinished conversation could not be kept. "
            "Please start it again."
        ))] if dropped else []
        if ctx.user.ended and ctx.inbound.kind not in (InboundKind.GROUP, InboundKind.NOTHING):
            notice += await ended_roles_notice(ctx)  # a role whose unit was merged away
        return notice + await self._route_kind(ctx, state)

    async def _route_kind(self, ctx: Ctx, state: ConversationState | None) -> list[Reply]:
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
            return [Reply(ctx.t(notices.APOLOGY)), *await self._repeat(ctx, state)]
        if kind is InboundKind.NOTHING:
            return []
        command = ctx.inbound.command
        if not ctx.user.grants:
            if command is not None and command[0] in PUBLIC_NAMES:
                return await self._run_command(ctx, command[0], command[1])
            return await self._run_command(ctx, "start", "")
        return await self._route_registered(ctx, state, command)

    async def _route_registered(
        self, ctx: Ctx, state: ConversationState | None, command: tuple[str, str] | None
    ) -> list[Reply]:
        replacing = command is not None and command[0] not in CANCEL_NAMES
        if replacing and state is not None and self._flow_of(state).disposable:
            await self.conversations.clear(ctx.user.id)  # a new command replaces a mere choice
            state = None
        if command is not None:
            name, args = command
            if name in CANCEL_NAMES:
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
        assert flow is not None, "_load_state keeps only states of known flows"
        return flow

    async def _load_state(self, ctx: Ctx) -> tuple[ConversationState | None, bool]:
        """Load the user's conversation; drop one this version of the code cannot follow.

        Return (state, dropped). A flow or step renamed or removed by an upgrade would
        otherwise leave the user at a dead end; starting again is better.
        """
        state = await self.conversations.load(ctx.user.id)
        if state is None:
            return None, False
        flow = self.registry.flow(state.flow)
        known = {step.name for step in flow.steps} if flow is not None else set()
        if flow is not None and all(name in known for name in state.steps_named()):
            return state, False
        await self.conversations.clear(ctx.user.id)
        return None, True

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
        await self.conversations.clear(ctx.user.id)
        if state is None:
            return [Reply(ctx.t("There is nothing to cancel."))]
        return [Reply(ctx.t("Cancelled. Nothing was saved."))]

    async def _answer(self, ctx: Ctx, flow: Flow, state: ConversationState) -> list[Reply]:
        ctx.draft = state.draft
        step = flow.step(state.step)
        prompt = await self._as_asked(ctx, flow, state)
        if ctx.inbound.choice is not None and ctx.inbound.token != prompt.token:
            return [Reply(ctx.t(notices.STALE_TAP_THEN_CURRENT)), prompt]
        answer = interpret(step, prompt, ctx.inbound, ctx.t(BACK_LABEL))
        if answer.key == BACK and step.back_within(ctx):
            state.ask_anew()
            await self.conversations.save(ctx.user.id, state, ctx.now)
            return await self._ask(ctx, flow, state, edit=False)
        if answer.key == BACK and state.history:
            state.go_back()
            state.ask_anew()
            await self.conversations.save(ctx.user.id, state, ctx.now)
            return await self._ask(ctx, flow, state, edit=False)
        before = json_copy(state.draft)
        outcome = await step.receive(ctx, answer)
        return await self._apply(ctx, flow, state, outcome, first=False, before=before)

    async def _apply(
        self,
        ctx: Ctx,
        flow: Flow,
        state: ConversationState,
        outcome: Outcome,
        first: bool,
        before: dict[str, Any] | None = None,
    ) -> list[Reply]:
        if isinstance(outcome, Handover):
            return await self._hand_over(ctx, outcome)
        if isinstance(outcome, Done):
            if not first:
                await self.conversations.clear(ctx.user.id)
            return list(outcome.replies)
        if isinstance(outcome, Invalid):
            if first:  # a flow that cannot start says why and stores nothing
                return [Reply(outcome.message)]
            prompt = await self._prompt(ctx, flow, state)
            return [Reply(f"{outcome.message}\n\n{prompt.text}", prompt.choices, prompt.multi,
                          prompt.selected, prompt.token, numbered=prompt.numbered)]
        if isinstance(outcome, Stay):
            await self.conversations.save(ctx.user.id, state, ctx.now)
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
        await self.conversations.save(ctx.user.id, state, ctx.now)
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

    async def _hand_over(self, ctx: Ctx, handover: Handover) -> list[Reply]:
        """Replace the user's conversation by the flow handed to, begun from its draft."""
        flow = self.registry.flow(handover.flow)
        if flow is None:
            raise KeyError(f"no flow {handover.flow} to hand over to")
        state = ConversationState(flow.name, flow.steps[0].name, dict(handover.draft))
        ctx.draft = state.draft
        outcome = await flow.begin(ctx, "")
        if isinstance(outcome, Done | Invalid):  # nothing to ask: the conversation ends here
            await self.conversations.clear(ctx.user.id)
        return await self._apply(ctx, flow, state, outcome, first=True)

    async def _prompt(self, ctx: Ctx, flow: Flow, state: ConversationState) -> Reply:
        ctx.draft = state.draft
        step = flow.step(state.step)
        reply = await step.prompt(ctx)
        text = reply.text
        position = flow.position(step.name)
        if position is not None:
            text = f"({position[0]}/{position[1]}) {text}"
        choices = reply.choices
        if state.history:
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

    def __init__(
        self,
        dispatcher: Dispatcher,
        ctx: Ctx,
        state: ConversationState | None,
        failed: bool,
        dropped: bool = False,
    ):
        self._dispatcher = dispatcher
        self._ctx = ctx
        self._state = state
        self._failed = failed  # the lookup failed: only an apology can be given
        self._dropped = dropped

    @property
    def token(self) -> str | None:
        return None if self._state is None else question_token(self._state)

    @property
    def t(self) -> Translator:
        return self._ctx.t

    async def respond(self, inbound: Inbound) -> Response:
        ctx = self._ctx
        ctx.inbound = inbound
        try:
            if self._failed:
                replies = [Reply(ctx.t(notices.APOLOGY))]
            else:
                if ctx.user.grants and inbound.kind is not InboundKind.NOTHING:
                    # The bot's own messages (reminders) go to the chat used last.
                    await self._dispatcher.users.note_use(ctx.user.id, inbound.channel,
                                                          inbound.user_key)
                replies = await self._dispatcher._route(ctx, self._state, self._dropped)
        except Exception as error:
            log_failure(log, f"handling an update failed (channel={inbound.channel})", error)
            replies = [Reply(ctx.t(notices.APOLOGY))]
        return Response(replies, ctx.user, ctx.t.locale)
