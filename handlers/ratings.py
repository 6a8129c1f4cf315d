"""/xeploai (/ratings): load the annual ratings from a file; read a year's headline figures.

    start ─► /xeploai 2015 ──────────────────► the headline, with a line per commune
          └► /xeploai ─► ask_file (a CSV or Excel document) ─► saved: counts and the headline
                              ▲                  │
                              └── bad rows ◄─────┘ (every bad line named; nothing saved)

The same loading serves `python -m bot ratings import FILE`. Organisers only, in their area.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from bot.core.commands import Command
from bot.core.flow import Answer, Ctx, Done, Flow, Invalid, Next, Outcome, Step
from bot.core.messages import Reply
from bot.domain.org import OrgUnit, Role
from bot.domain.periods import typed_year
from bot.domain.ratings import (
    FIRST_YEAR,
    REQUIRED_COLUMNS,
    Figures,
    Finding,
    Headline,
    Scheme,
    check_rows,
    headline,
    parse_rows,
    rounded,
    rules_for_year,
)
from bot.domain.rulebook import Rulebook
from bot.i18n import N_, Translator
from bot.storage.database import Database, Rider
from bot.storage.ratings import ImportResult, RatingRepository, Scope, StoredRating
from bot.storage.reads import ReadLog
from bot.tables import TableError, read_table
from handlers.scope import organiser_units

MAX_LISTED = 30  # bad lines listed in one answer; the rest are counted

LEVEL_LABELS = {
    (Scheme.Y2015, "tsvm_tieu_bieu"): N_("exemplary clean and strong"),
    (Scheme.Y2015, "tsvm"): N_("clean and strong"),
    (Scheme.Y2015, "yeu_kem"): N_("weak"),
    "htxs": N_("excellent performance"),
    "htt": N_("good performance"),
    "ht": N_("satisfactory performance"),
    "khtnv": N_("unsatisfactory performance"),
}

FINDINGS = {
    "empty": N_("the file is empty"),
    "no_rows": N_("the file has no ratings below its first line"),
    "no_code": N_("the cell code is missing"),
    "year": N_("the year must be written like 2015 (found “{value}”)"),
    "scheme": N_("the scheme must be one of {schemes} (found “{value}”)"),
    "level": N_("“{value}” is not a rating of the {scheme} scheme; use one of {levels}"),
    "count": N_("{column} must be a whole number from 0 to {most} (found “{value}”)"),
    "score": N_("the score must be a number from 0 to 100 (found “{value}”)"),
    "score_unused": N_("only the 2025 scheme has scores; leave the score empty for the "
                       "{scheme} scheme"),
    "unknown_cell": N_("no cell has the code {code}"),
    "not_a_cell": N_("{code} is the code of a unit, not of a cell"),
    "out_of_scope": N_("the cell {code} is outside your area"),
    "future_year": N_("the year {year} is not over yet"),
    "duplicate": N_("{code} for {year} is already on line {other}"),
    "scheme_for_year": N_("{year} is rated under the {schemes} scheme, not {scheme}"),
    "classes_sum": N_("the four member classes add up to {sum}, but members_rated is {rated}"),
    "above_roll": N_("{rated} members rated, but {code} has only {roll} members who can be "
                     "rated (exempt members are not)"),
    "quota": N_("{excellent} members rated excellent, more than the {allowed} allowed "
                "({quota} of the {good} rated good)"),
    "score_band": N_("the score {score} falls in the band of “{banded}”, but the rating is "
                     "“{level}”"),
}


def level_label(t: Translator, scheme: Scheme, level: str) -> str:
    return t(LEVEL_LABELS.get((scheme, level)) or LEVEL_LABELS[level])


def finding_text(t: Translator, finding: Finding) -> str:
    """Render one finding as "Line 4: …" in the user's language."""
    if finding.code == "header":
        parts = [t("the first line must name the columns {columns} (a score column may be "
                   "added)", columns=finding.values["expected"])]
        if finding.values["missing"]:
            parts.append(t("missing: {names}", names=finding.values["missing"]))
        if finding.values["unknown"]:
            parts.append(t("not known or repeated: {names}", names=finding.values["unknown"]))
        problem = "; ".join(parts)
    else:
        values = dict(finding.values)
        for key in ("year", "other"):  # years and line numbers read as written, no separator
            if key in values:
                values[key] = str(values[key])
        for key in ("rated", "roll", "sum", "most", "excellent", "good", "allowed"):
            if key in values:
                values[key] = t.number(values[key])
        if "quota" in values:
            values["quota"] = t.percent(float(values["quota"]))
        if "score" in values:
            values["score"] = t.number(values["score"])
        if finding.code == "score_band":
            values["banded"] = level_label(t, Scheme.Y2025, values["banded"])
            values["level"] = level_label(t, Scheme.Y2025, values["level"])
        problem = t(FINDINGS[finding.code], **values)
    return t("Line {line}: {problem}", line=str(finding.line), problem=problem)


def finding_lines(t: Translator, findings: Sequence[Finding]) -> list[str]:
    lines = [finding_text(t, f) for f in findings[:MAX_LISTED]]
    if len(findings) > MAX_LISTED:
        lines.append(t.plural("…and {n} more line.", "…and {n} more lines.",
                              len(findings) - MAX_LISTED))
    return lines


# Loading a file (chat and command line) -------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    saved: ImportResult | None  # None: nothing was saved
    text: str


async def load_ratings(
    db: Database, rules: Rulebook, t: Translator, data: bytes, scope: Scope,
    by_user: int | None, now: datetime, also: Sequence[Rider] = (),
) -> Loaded:
    """Read, check and save a ratings file, all or nothing; say what happened.

    `also` rides along with the save (the end of the conversation the file came in).
    """
    try:
        # In a thread: a 2 MB spreadsheet takes seconds to read, and the others wait meanwhile.
        table = list(enumerate(await asyncio.to_thread(read_table, data), start=1))
    except TableError:
        return Loaded(None, t(
            "I cannot read this file as a table. Please send a CSV file or an Excel (.xlsx) "
            "file whose first line is: {header}", header=",".join(REQUIRED_COLUMNS),
        ))
    rows, findings = parse_rows(table)
    repo = RatingRepository(db)
    cells = await repo.cell_facts([r.code for r in rows], scope)
    checked = check_rows(rows, cells, lambda year: rules_for_year(rules, year), now.year)
    errors = sorted([*findings, *checked.errors], key=lambda f: f.line)
    if errors:
        bad_lines = len({f.line for f in errors})
        lines = [t.plural("Nothing was saved: {n} line of the file has a problem.",
                          "Nothing was saved: {n} lines of the file have problems.", bad_lines),
                 *finding_lines(t, errors)]
        return Loaded(None, "\n".join(lines))
    saved = await repo.save_all(rows, {code: f.id for code, f in cells.items()}, by_user, now,
                                also)
    lines = [t("Ratings saved: {rows} rows read, {cells} cells rated, {replaced} earlier "
               "ratings replaced (kept in the history).", rows=t.number(saved.rows),
               cells=t.number(saved.cells), replaced=t.number(saved.replaced))]
    if saved.unchanged:
        lines.append(t.plural("{n} rating was already saved and stays as it was.",
                              "{n} ratings were already saved and stay as they were.",
                              saved.unchanged))
    if checked.warnings:
        lines.append(t("Please check (saved all the same):"))
        lines += finding_lines(t, checked.warnings)
    for year in saved.years:
        lines += ["", *await headline_text(t, db, scope, year)]
    return Loaded(saved, "\n".join(lines))


# The headline ------------------------------------------------------------------------------


def share_text(t: Translator, share: Fraction | None) -> str:
    """Format a share with two decimals at most (0,32 %), or a dash when nothing divides."""
    return "—" if share is None else t.percent(rounded(share), places=2)


def signed(t: Translator, points: Decimal | None) -> str:
    if points is None:
        return "—"
    return ("+" if points > 0 else "") + t.number(points)


def sentence(t: Translator, year: int, f: Figures) -> str:
    """Write the year's figures in one sentence, as a district report does."""
    values = {
        "year": str(year),
        "clean": share_text(t, f.clean_and_strong),
        "exemplary": share_text(t, f.exemplary),
        "good": share_text(t, f.good_or_better),
        "failed": share_text(t, f.failed),
    }
    if f.tally.four_levels:
        return t("In {year}, {clean} of the cells completed their tasks well or better "
                 "({exemplary} excellently); {good} of the members completed their tasks well "
                 "or better; {failed} did not complete their tasks.", **values)
    return t("In {year}, {clean} of the cells were clean and strong ({exemplary} exemplary); "
             "{good} of the members completed their tasks well or better; {failed} were in "
             "breach of member standards or did not complete their tasks.", **values)


def count_share(t: Translator, part: int, whole: int) -> str:
    """Write "k/n (p %)"."""
    share = Fraction(part, whole) if whole else None
    return f"{t.number(part)}/{t.number(whole)} ({share_text(t, share)})"


def detail_lines(t: Translator, found: Headline) -> list[str]:
    f = found.figures
    tally = f.tally
    lines = [t("Cells rated: {rated} of {cells} in the area.", rated=t.number(tally.cells),
               cells=t.number(found.cells_in_scope))]
    lines += [f"• {level_label(t, scheme, level)}: {count_share(t, n, tally.cells)}"
              for scheme, level, n in tally.by_level]
    if not tally.four_levels:  # "exemplary" may also be read as a share of the TSVM cells
        lines.append(t("Exemplary among the clean and strong cells: {share}",
                       share=count_share(t, tally.exemplary, tally.clean_and_strong)))
    lines.append(t("Members rated: {rated}; well or better: {good}; in breach or not "
                   "completing their tasks: {failed}.",
                   rated=t.number(tally.members_rated), good=t.number(tally.good_or_better),
                   failed=t.number(tally.failed)))
    change = found.change
    if change is not None:
        values = {
            "previous": str(found.year - 1),
            "clean": signed(t, change.clean_and_strong),
            "exemplary": signed(t, change.exemplary),
            "good": signed(t, change.good_or_better),
            "failed": signed(t, change.failed),
        }
        if tally.four_levels:
            lines.append(t("Compared with {previous}, in percentage points: cells well or "
                           "better {clean}, excellent {exemplary}; members well or better "
                           "{good}, not completing {failed}.", **values))
        else:
            lines.append(t("Compared with {previous}, in percentage points: clean and strong "
                           "{clean}, exemplary {exemplary}; members well or better {good}, "
                           "in breach {failed}.", **values))
        if not change.same_schemes:
            lines.append(t("  (the two years were rated under different schemes)"))
    return lines


def commune_line(t: Translator, name: str, cells: int, f: Figures) -> str:
    values = {
        "name": name,
        "rated": t.number(f.tally.cells),
        "cells": t.number(cells),
        "clean": share_text(t, f.clean_and_strong),
        "exemplary": share_text(t, f.exemplary),
        "good": share_text(t, f.good_or_better),
        "failed": share_text(t, f.failed),
    }
    if f.tally.four_levels:
        return t("• {name} ({rated}/{cells} cells): well or better {clean} (excellent "
                 "{exemplary}); members well or better {good}; not completing {failed}",
                 **values)
    return t("• {name} ({rated}/{cells} cells): clean and strong {clean} (exemplary "
             "{exemplary}); members well or better {good}; in breach {failed}", **values)


async def headline_text(
    t: Translator, db: Database, scope: Scope, year: int, communes: bool = True,
    tree_of: date | None = None,
) -> list[str]:
    """Return the year's headline lines for a scope, or [] when no cell of it was rated.

    Each year counts the cells of its own tree (its 31 December), or with `tree_of` the
    cells of that day's tree, grouped under their units of that day.
    """
    repo = RatingRepository(db)
    counts = await repo.level_counts(scope, year, tree_of)
    if not counts:
        return []
    groups = await repo.scope_groups(scope, year, tree_of)
    previous = await repo.level_counts(scope, year - 1, tree_of)
    found = headline(year, counts, sum(g.cells for g in groups), previous,
                     [g.id for g in groups if g.id is not None])
    assert found is not None
    lines = [sentence(t, year, found.figures), *detail_lines(t, found)]
    if communes and found.communes:
        names = {g.id: (g.name or "", g.cells) for g in groups}
        lines.append(t("By commune:"))
        lines += [commune_line(t, *names[g], figures) for g, figures in found.communes]
    return lines


async def ratings_section(ctx: Ctx, cell: OrgUnit) -> str | None:
    """Show the cell's latest rating in its standing."""
    rating = await RatingRepository(ctx.db).latest_of_cell(cell.id)
    return None if rating is None else rating_line(ctx.t, rating)


async def headline_lines(
    ctx: Ctx, scope: Scope, year: int, communes: bool = True, tree_of: date | None = None
) -> list[str]:
    """Return the year's headline for a scope (for /tonghop); [] when the year has none."""
    return await headline_text(ctx.t, ctx.db, scope, year, communes, tree_of)


def rating_line(t: Translator, rating: StoredRating) -> str:
    """Write one cell's rating, as its standing shows it."""
    m = rating.members
    text = t("Rating for {year} (decided by the upper committee): {level}; members well or "
             "better {good}/{rated}, in breach or not completing {failed}.", year=str(rating.year),
             level=level_label(t, rating.scheme, rating.level), good=t.number(m.good_or_better),
             rated=t.number(m.rated), failed=t.number(m.failed))
    if rating.score is not None:
        text += " " + t("Score: {score}.", score=t.number(rating.score))
    return text


# The conversation ------------------------------------------------------------------------------


def parse_year(text: str, this_year: int) -> int | None:
    """Return a year that can have ratings (1990 to this year), typed as the periods of the
    other commands are ("2015", "năm 2015"), else None."""
    year = typed_year(text)
    return year if year is not None and FIRST_YEAR <= year <= this_year else None


async def start(ctx: Ctx, args: str) -> Outcome:
    """Show the headline of the year named after the command, or ask for a file."""
    if not args:
        return Next("file")
    year = parse_year(args, ctx.today.year)
    if year is None:
        return Invalid(ctx.t(
            "Type a year after the command, for example /{command} {year}, or send "
            "/{command} alone to load a ratings file.",
            command=COMMANDS[0].name_for(ctx.t.locale), year=str(ctx.today.year - 1),
        ))
    scope = organiser_units(ctx)
    lines = await headline_text(ctx.t, ctx.db, scope, year)
    if not lines:
        years = await RatingRepository(ctx.db).rated_years(scope)
        text = ctx.t("No cell of your area has a rating for {year}.", year=str(year))
        if years:
            text += " " + ctx.t("Years with ratings: {years}.",
                                years=", ".join(str(y) for y in years))
        return Done([Reply(text)])
    reads = ReadLog(ctx.db)
    for unit_id in scope:  # organisers' reads are kept for audit
        await reads.record(ctx.user.id, unit_id, "ratings", ctx.now)
    return Done([Reply("\n".join(lines))])


async def ask_file(ctx: Ctx) -> str:
    years = await RatingRepository(ctx.db).rated_years(organiser_units(ctx))
    text = ctx.t(
        "Send the ratings file (CSV or Excel) as a document. Its first line must be:\n{header}\n"
        "with an optional score column (2025 scheme). Nothing is saved if any line has a "
        "problem.", header=",".join(REQUIRED_COLUMNS),
    )
    if years:
        text += "\n" + ctx.t("To read a year's figures instead, send for example /{command} "
                             "{year}.", command=COMMANDS[0].name_for(ctx.t.locale),
                             year=str(years[0]))
    return text


@dataclass
class FileStep(Step):
    """A file sent as a document; typed text gets a reminder of how to send one."""

    name: str
    counted: bool = False
    numbered: bool = False

    async def prompt(self, ctx: Ctx) -> Reply:
        return Reply(await ask_file(ctx))

    async def receive(self, ctx: Ctx, answer: Answer) -> Outcome:
        attachment = ctx.inbound.attachment
        if attachment is None:
            return Invalid(ctx.t(
                "Please send the file as a document (the paperclip, then File), not as text."
            ))
        loaded = await load_ratings(ctx.db, ctx.rules, ctx.t, attachment.data,
                                    organiser_units(ctx), ctx.user.id, ctx.now, ctx.ending)
        if loaded.saved is None:
            return Invalid(loaded.text + "\n\n" + ctx.t(
                "Please correct the file and send it again, or send /huy to stop."
            ))
        return Done([Reply(loaded.text)])


async def saved_again(ctx: Ctx) -> list[Reply]:
    """Answer the same file sent again after it was saved."""
    return [Reply(ctx.t(
        "This file is already saved; nothing was saved twice. To read a year's figures, send "
        "for example /{command} {year}.", command=COMMANDS[0].name_for(ctx.t.locale),
        year=str(ctx.today.year - 1),
    ))]


FLOW = Flow("ratings", [FileStep("file")], start=start, saved_again=saved_again)

COMMANDS = [
    Command(("xeploai", "ratings"), N_("Load the annual ratings, or read a year's figures"),
            roles=frozenset({Role.STAFF, Role.ADMIN}), flow=FLOW),
]
