"""What a secretary sees of the pipeline: a line per person, and the standing's section."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.flow import Ctx
from bot.core.messages import Reply
from bot.domain.org import OrgUnit
from bot.domain.pipeline import (
    Deadline,
    allowed_moves,
    failures_pending,
    list_order,
    must_report_failures,
    next_stage,
    policy_of,
    rules_on,
    status,
    summarise,
)
from bot.storage.recruitment import Recruit, RecruitmentRepository
from handlers.recruitment_texts import (
    command_name,
    deadline_text,
    holidays_for,
    report_failures_text,
    stage_label,
)


def person_line(ctx: Ctx, person: Recruit, deadline: Deadline | None) -> str:
    line = ctx.t(
        "{alias} — {stage} since {date}; {deadline}",
        alias=person.alias,
        stage=stage_label(ctx, person.stage),
        date=ctx.t.date(person.since),
        deadline=deadline_text(ctx, deadline),
    )
    failures = failures_pending(person.history, person.failed_votes)
    if not failures:
        return line
    line += "; " + ctx.t.plural("{n} failed vote", "{n} failed votes", failures)
    following = next_stage(person.stage)
    if following and must_report_failures(following, failures, rules_on(ctx.rules, ctx.today)):
        line += "\n   ⚠ " + report_failures_text(ctx, failures)
    return line


async def pipeline_lines(ctx: Ctx, cell_id: int) -> tuple[list[Recruit], list[str]]:
    """Return the cell's records and one line per open record, overdue first."""
    holidays = holidays_for(ctx)
    people = await RecruitmentRepository(ctx.db).of_cell(cell_id)
    rows = [
        (status(p.history, ctx.today, ctx.rules, holidays), p)
        for p in people
        if allowed_moves(p.stage)
    ]
    rows.sort(key=lambda row: list_order(row[0]))
    return people, [f"{n}. " + person_line(ctx, p, s.deadline) for n, (s, p) in enumerate(rows, 1)]


async def recruitment_section(ctx: Ctx, cell: OrgUnit) -> str | None:
    """Render the cell's recruitment for the standing: counts, then each open record."""
    people, lines = await pipeline_lines(ctx, cell.id)
    if not people:
        return None
    summary = summarise([p.history for p in people], ctx.today, ctx.rules, holidays_for(ctx))
    counts = ", ".join(
        f"{stage_label(ctx, stage)} {ctx.t.number(n)}"
        for stage, n in summary.by_stage.items()
        if n
    )
    window = policy_of(ctx.rules).probation_ending_soon_days
    text = [
        ctx.t("Recruitment: {counts}", counts=counts),
        ctx.t(
            "Admitted this year: {admitted}. Probations ending within {days}: {ending}. "
            "Overdue: {overdue}.",
            admitted=ctx.t.number(summary.admitted_this_year),
            days=ctx.t.plural("{n} day", "{n} days", window),
            ending=ctx.t.number(summary.probations_ending_soon),
            overdue=ctx.t.number(summary.overdue),
        ),
        *lines,
    ]
    return "\n".join(text)


async def pipeline_text(ctx: Ctx, cell_id: int) -> str:
    """Write the cell's pipeline, overdue first (/phattrien's list)."""
    people, lines = await pipeline_lines(ctx, cell_id)
    if not lines:
        return ctx.t(
            "Nobody is in this cell's pipeline yet. Send /{command} and choose 1 to add a person.",
            command=command_name(ctx),
        )
    closed = len(people) - len(lines)
    text = ctx.t("Recruitment pipeline (overdue first):") + "\n" + "\n".join(lines)
    if closed:
        text += "\n" + ctx.t(
            "Closed records (confirmed or left): {count}", count=ctx.t.number(closed)
        )
    return text


def saved_again(message: str) -> Callable[[Ctx], Awaitable[list[Reply]]]:
    """Answer a task's saving answer that came again: not twice, and the pipeline as it is."""

    async def answer(ctx: Ctx) -> list[Reply]:
        return [Reply(f"{ctx.t(message)}\n\n{await pipeline_text(ctx, int(ctx.draft['cell']))}")]

    return answer
