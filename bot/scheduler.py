"""Reminder rounds: who is due (the domain) → claim in the ledger → the Sender → mark sent.

    Scheduler.run(stop)   a Service beside the channels (the App runs both): a round at the
                          rulebook's 08:00 every day, at start-up for a day whose round was
                          missed, and again soon after a round where sends failed
    Rounds.plan(day)      load the cells' lines, the pipeline and everyone's reach and choices;
                          select (pure); one Planned per person
    Rounds.run(day, …)    per person, several at a time: claim → compose in their language →
                          outbox (the chat they used last) → mark sent, or give the claim back

Nothing is sent in the quiet hours unless an administrator runs the round by hand; a person
whose chat refuses the message (they blocked the bot) is marked and skipped next time, and the
round goes on. Telegram's rate limiter lets users' answers go before these messages. Logs say
counts only: no names, no texts, no ids.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.dispatcher import Dispatcher
from bot.core.outbound import Outbox, Unreachable
from bot.domain.calendar import days_off
from bot.domain.periods import Period
from bot.domain.reminders import (
    Due,
    by_recipient,
    may_send,
    months_needed,
    next_round,
    reminder_rules,
    select,
)
from bot.domain.summaries import CellLine, cell_lines, owing, rule_spans
from bot.logsafe import log_failure
from bot.storage.database import Database
from bot.storage.reminders import Contact, ReminderStore, RoundRecord
from bot.storage.summaries import SummaryRepository
from handlers.reminders import compose

log = logging.getLogger(__name__)

SEND_CONCURRENCY = 32  # people being sent to at once: enough to keep 30 messages/s flowing
CLAIM_TIMEOUT = timedelta(minutes=15)  # a claim this old was left by a process that died
START_UP_SECONDS = 5.0  # let the channels connect before a round due at start-up
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
NAP_SECONDS = 300.0  # the clock is looked at again at least this often

Wait = Callable[[asyncio.Event, float], Awaitable[bool]]


@dataclass(frozen=True)
class Planned:
    """One person's reminders of the day: one message."""

    contact: Contact
    dues: tuple[Due, ...]


class Rounds:
    """Plan and run the rounds of reminders over the app's database and senders."""

    def __init__(self, db: Database, dispatcher: Dispatcher, outbox: Outbox,
                 clock: Callable[[], datetime], concurrency: int = SEND_CONCURRENCY):
        self.db = db
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.clock = clock
        self.concurrency = concurrency
        self.store = ReminderStore(db)

    async def plan(self, day: date) -> list[Planned]:
        """Return who is due what on `day`, one Planned per person (nothing is recorded)."""
        rulebook = self.dispatcher.rules
        contacts = await self.store.contacts()
        recipients = [contact.recipient for contact in contacts]
        months = {month: await self._lines(month, day) for month in months_needed(day, rulebook)}
        cells = sorted({cell for r in recipients if r.reminders and r.reachable
                        for cell in r.cells})
        people = await self.store.open_people(cells)
        holidays = days_off(rulebook.calendar, day.year + 1)
        dues = select(day, rulebook, holidays, months, people, recipients)
        by_id = {contact.user_id: contact for contact in contacts}
        return [Planned(by_id[user_id], tuple(theirs))
                for user_id, theirs in by_recipient(dues).items()]

    async def _lines(self, month: Period, day: date) -> list[CellLine]:
        """Return what every cell owes and did in `month`, through the summaries' storage."""
        rulebook = self.dispatcher.rules
        spans = rule_spans(rulebook, month.thematic_from, month.last)
        repo = SummaryRepository(self.db)
        owed = owing(month, day, rulebook)
        lines: list[CellLine] = []
        for root in await self.store.roots():
            rows = await repo.cell_sums(root, owed, spans, self.dispatcher.timezone)
            lines += cell_lines(owed, rows)
        return lines

    async def run(self, day: date, by_hand: bool, stop: asyncio.Event | None = None
                  ) -> RoundRecord:
        """Send `day`'s reminders; record the round and return its counts."""
        started = self.clock()
        planned = await self.plan(day)
        sending = _Sending(self, f"{os.getpid()}-{uuid.uuid4().hex[:12]}", by_hand, stop)
        people = iter(planned)
        async with asyncio.TaskGroup() as group:
            for _ in range(min(self.concurrency, len(planned))):
                group.create_task(sending.work(people))
        record = RoundRecord(day, by_hand, started, self.clock(), len(planned), sending.sent,
                             sending.failed, sending.unreachable, sending.deferred)
        await self.store.record_round(record)
        log.info("reminders: a round for %d people: %d sent, %d failed, %d unreachable, "
                 "%d deferred", record.people, record.sent, record.failed, record.unreachable,
                 record.deferred)
        return record


class _Sending:
    """One round's deliveries and their counts (shared by its workers)."""

    def __init__(self, rounds: Rounds, holder: str, by_hand: bool, stop: asyncio.Event | None):
        self.rounds = rounds
        self.holder = holder
        self.by_hand = by_hand
        self.stop = stop
        self.schedule = reminder_rules(rounds.dispatcher.rules)
        self.sent = self.failed = self.unreachable = self.deferred = 0

    async def work(self, people: Iterator[Planned]) -> None:
        for planned in people:  # the workers share the iterator: each person goes once
            now = self.rounds.clock()
            if (self.stop is not None and self.stop.is_set()) or not may_send(
                    now, self.schedule, self.by_hand):
                self.deferred += 1  # the quiet hours began, or the bot is stopping
                continue
            await self.deliver(planned, now)

    async def deliver(self, planned: Planned, now: datetime) -> None:
        store, contact = self.rounds.store, planned.contact
        claimed = await store.claim(planned.dues, self.holder, now, now - CLAIM_TIMEOUT)
        if not claimed:  # sent already (an earlier round, another process)
            return
        try:
            ctx = self.rounds.dispatcher.context_of(contact.user, contact.app_locale)
            await self.rounds.outbox.send(contact.user, await compose(ctx, claimed))
        except Unreachable:
            self.unreachable += 1
            await store.release(claimed, self.holder)  # for when they write again
            await store.mark_unreachable(contact.user_id, self.rounds.clock())
            return
        except Exception as error:  # the round goes on; the next one tries again
            self.failed += 1
            log.warning("reminders: a message could not be sent (%s)", type(error).__name__)
            await store.release(claimed, self.holder)
            return
        await store.mark_sent(claimed, self.holder, self.rounds.clock())
        self.sent += 1


async def wait_for_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True when `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except TimeoutError:
        return False


class Scheduler:
    """The daily rounds, run by the App beside the channels (a Service)."""

    name = "reminders"

    def __init__(self, rounds: Rounds, wait: Wait = wait_for_stop):
        self.rounds = rounds
        self.wait = wait

    async def run(self, stop: asyncio.Event) -> None:
        """Run each day's round at its time until `stop`; a failed round is tried again."""
        schedule = reminder_rules(self.rounds.dispatcher.rules)  # a broken table stops the start
        log.info("reminders: a round every day at %s", schedule.round_time.strftime("%H:%M"))
        store = self.rounds.store
        failures = 0
        retry_at: datetime | None = None
        started = True
        while not stop.is_set():
            now = self.rounds.clock()
            at = next_round(now, await store.scheduled_round_done(now.date()), schedule)
            if retry_at is not None and at <= now < retry_at and retry_at.date() == now.date():
                at = retry_at
            if at > now:
                started = False
                await self.wait(stop, min((at - now).total_seconds(), NAP_SECONDS))
                continue
            if started and await self.wait(stop, START_UP_SECONDS):
                return  # let the channels connect first
            started = False
            record = await self._round(now.date(), stop)
            if record is None or record.failed:
                retry_at = self.rounds.clock() + RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
                failures += 1
            else:
                failures, retry_at = 0, None

    async def _round(self, day: date, stop: asyncio.Event) -> RoundRecord | None:
        try:
            return await self.rounds.run(day, by_hand=False, stop=stop)
        except Exception as error:  # never stop the channels for a round that failed
            log_failure(log, "reminders: a round failed", error)
            return None
