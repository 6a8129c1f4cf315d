"""Command line: run, shell, demo, org import/merge, role move, ratings import, invite, remind,
export, backup."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from bot.app import App, configure_logging, configured_channels, open_app
from bot.config import ConfigError, Settings, load_settings
from bot.core.outbound import StandaloneSender
from bot.core.port import ChannelFailed
from bot.demo import PROVINCE, NotADemoDatabase, is_demo_database, seed_demo
from bot.domain.cells import CellRules, CellSize, cell_rules_on, cell_size
from bot.domain.org import CellRow, OrgCsvError, Role, User, parse_org_rows
from bot.domain.reminders import reminder_rules
from bot.domain.rulebook import RulebookError
from bot.domain.tree import Tree, parse_merge_rows
from bot.i18n import N_, Translator, translator
from bot.scheduler import Planned, Rounds, Scheduler
from bot.shell import ShellUsers
from bot.storage.org import ImportResult, OrgRepository, RollReset
from bot.storage.users import InviteRepository, UserRepository
from bot.tables import TableError, read_table_file
from handlers.reminders import KIND_LABELS

log = logging.getLogger("bot")
SIGNALS = (signal.SIGINT, signal.SIGTERM)  # both stop every channel cleanly

ROLE_NAMES = {
    Role.SECRETARY: N_("cell secretary"),
    Role.STAFF: N_("organiser"),
    Role.ADMIN: N_("administrator"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Sổ Chi Bộ chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start every channel whose token is set (the shell if none)")
    shell = commands.add_parser("shell", help="chat with the bot in this terminal")
    shell.add_argument("--as", dest="role", choices=[r.value for r in Role], default="secretary")
    shell.add_argument("--cell", help="cell code of the secretary to act as (demo users)")
    commands.add_parser("demo", help="create or refresh the demo district")
    org = commands.add_parser("org", help="org tree")
    org_commands = org.add_subparsers(dest="org_command", required=True)
    org_import = org_commands.add_parser(
        "import", help="create or update cells from a CSV or .xlsx file")
    org_import.add_argument("file", type=Path)
    org_merge = org_commands.add_parser(
        "merge", help="close merged units and link them to their successors (old_path,"
                      "new_path,on_date)")
    org_merge.add_argument("file", type=Path)
    role = commands.add_parser("role", help="roles bound to units")
    role_commands = role.add_subparsers(dest="role_command", required=True)
    role_move = role_commands.add_parser(
        "move", help="move the roles held on a unit (a merged one) to another unit")
    role_move.add_argument("source", help="code or path of the unit the roles are on")
    role_move.add_argument("target", nargs="?",
                           help="code or path of the unit to move them to (default: the unit "
                                "the source was merged into)")
    role_move.add_argument("--role", choices=[r.value for r in Role],
                           help="move only this role (default: every role)")
    ratings = commands.add_parser("ratings", help="annual ratings of the cells")
    ratings_commands = ratings.add_subparsers(dest="ratings_command", required=True)
    ratings_import = ratings_commands.add_parser(
        "import", help="load a year's ratings from a CSV or .xlsx file (all or nothing)")
    ratings_import.add_argument("file", type=Path)
    export = commands.add_parser(
        "export", help="write the Excel workbook of a unit's area for a period (as /xuat)")
    export.add_argument("--period", default="",
                        help="2026-11, Q2/2026, 2026… (default: as /xuat without one)")
    export.add_argument("--scope", required=True,
                        help="code of the unit or cell, or its path: Huyện Cần Đước/Xã Tân Lân")
    export.add_argument("--tree", choices=[t.value for t in Tree], default=Tree.THEN.value,
                        help="the org tree of the period (then) or today's units (today)")
    export.add_argument("-o", "--output", type=Path,
                        help="file or folder to write (default: the workbook's own name here)")
    invite = commands.add_parser("invite", help="print a one-time invite code")
    invite.add_argument("target", help="cell code (secretary), or unit code or path")
    invite.add_argument("--role", choices=[r.value for r in Role], required=True)
    invite.add_argument("--days", type=int, default=7)
    remind = commands.add_parser(
        "remind", help="run a round of reminders now, through the configured channels")
    remind.add_argument("--as-of", dest="as_of", type=_day, metavar="YYYY-MM-DD",
                        help="as if today were this day (default: today)")
    remind.add_argument("--dry-run", action="store_true",
                        help="print who would get what; send nothing, record nothing")
    backup = commands.add_parser("backup", help="copy the database to a file, even while running")
    backup.add_argument("file", type=Path)
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day as YYYY-MM-DD") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        settings = load_settings()
        return asyncio.run(dispatch(args, settings))
    except (ConfigError, RulebookError) as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# The commands that create the database when CHIBO_DB names no file yet; every other one
# reads (or adds to) what is there, and a file that is not there is a wrong CHIBO_DB.
CREATING = frozenset({"run", "shell", "demo", "org import"})


def creates_database(args: argparse.Namespace) -> bool:
    """Tell whether the command may start from no database (a new one is made)."""
    name = f"{args.command} {args.org_command}" if args.command == "org" else args.command
    return name in CREATING


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    t = translator(settings.locale)  # an administrator reads these in CHIBO_LOCALE
    if not creates_database(args) and not await asyncio.to_thread(settings.database.exists):
        fail(t("There is no database at {file}: check CHIBO_DB (a relative path is read from "
               "the folder the command runs in). Nothing was done.",
               file=settings.database.absolute()))
        return 2
    app = await open_app(settings)
    try:
        if args.command == "run":
            return await run(app, t)
        if args.command == "shell":
            return await shell(app, t, args.role, args.cell)
        if args.command == "demo":
            try:
                summary = await seed_demo(app.db, app.now())
            except NotADemoDatabase:
                fail(t("{file} holds data that is not the demo's: the demo is never added to it."
                       " Set CHIBO_DB to a new file to try the demo.", file=settings.database))
                return 1
            print(t("Demo district ready in {file}: {communes} communes until June 2025, "
                    "{new} communes of {province} from July 2025, {cells} cells with their "
                    "reports since 2016. Try: python -m bot shell --cell {code}",
                    file=settings.database, communes=summary.communes, province=PROVINCE,
                    new=summary.new_communes, cells=summary.cells, code=summary.first_cell))
            return 0
        if args.command == "org" and args.org_command == "merge":
            return await merge_org(app, t, args.file)
        if args.command == "org":
            return await import_org(app, t, args.file)
        if args.command == "role":
            roles = [Role(args.role)] if args.role else list(Role)
            return await move_roles(app, t, args.source, args.target, roles)
        if args.command == "ratings":
            return await import_ratings(app, t, args.file)
        if args.command == "invite":
            return await invite(app, t, args.target, Role(args.role), args.days)
        if args.command == "remind":
            return await remind(app, t, args.as_of, args.dry_run)
        if args.command == "export":
            return await export(app, t, args.period, args.scope, args.output, Tree(args.tree))
        if args.command == "backup":
            return await backup(app, t, args.file)
    finally:
        await app.close()
    return 1


def fail(message: str) -> None:
    print(message, file=sys.stderr)


async def run(app: App, t: Translator) -> int:
    for channel in configured_channels(app):  # every channel whose token is set
        app.add_channel(channel)
    if not app.channels:
        if not await is_demo_database(app.db):  # never mix demo data into a real database
            fail(t("Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set. Set one to run the "
                   "bot, or use `python -m bot shell --cell CODE` to chat in the terminal."))
            return 2
        print(t("Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set: opening the terminal "
                "shell on the demo district."))
        return await shell(app, t, "secretary", None)
    reminder_rules(app.dispatcher.rules)  # a broken [reminders] stops the start here
    if app.settings.reminders:
        app.scheduler = Scheduler(Rounds(app.db, app.dispatcher, app.outbox, app.now))
    return await serve(app, t)


async def shell(app: App, t: Translator, role: str, cell: str | None) -> int:
    from bot.channels.console import ConsoleChannel, ShellChannel

    users = await ShellUsers.prepare(app.db, app.now(), cell)
    user = await users.user_for(role)
    if user is None:
        fail(t("Name a cell that exists: python -m bot shell --cell CODE")
             if role == Role.SECRETARY else
             t("The database has no units yet: run `python -m bot org import FILE`."))
        return 2
    console = ConsoleChannel(app.dispatcher, user, app.settings.locale, users.user_for)
    app.add_channel(ShellChannel(console))
    # The terminal is the chat: the bot's notes on its own work would land between the
    # answers. Warnings and errors still show.
    logging.getLogger().setLevel(logging.WARNING)
    return await serve(app, t)


async def serve(app: App, t: Translator) -> int:
    """Run the app's channels until SIGINT (exit 130) or SIGTERM (0), or until one ends."""
    stop = asyncio.Event()
    caught: list[signal.Signals] = []

    def on_signal(signum: signal.Signals) -> None:
        caught.append(signum)
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await app.run(stop)
    except ChannelFailed as failure:
        if isinstance(failure.reason, ConfigError):
            fail(f"Configuration error ({failure.name}): {failure.reason}")
            return 2
        fail(t("The {channel} channel stopped on an error ({error}); the other channels were "
               "stopped too.", channel=failure.name, error=type(failure.reason).__name__))
        return 1
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
    return 130 if signal.SIGINT in caught else 0


async def import_org(app: App, t: Translator, path: Path) -> int:
    try:
        rows = await asyncio.to_thread(read_table_file, path)
        cells = parse_org_rows(rows)
        result = await OrgRepository(app.db).import_cells(cells, app.dispatcher.now(),
                                                          close_unnamed=True)
    except TableError as exc:
        fail(t("Cannot read {file}: {problem}. Nothing was imported.", file=path,
               problem=exc))
        return 1
    except OrgCsvError as exc:
        print_bad_lines(t, path, exc)
        return 1
    print(t("Imported {file}: {created} created, {updated} updated.", file=path,
            created=t.plural("{n} cell", "{n} cells", result.created),
            updated=t.plural("{n} cell", "{n} cells", result.updated)))
    print_tree_changes(t, result)
    print_roll_resets(t, result.rolls_changed)
    print_cell_sizes(t, cells, cell_rules_on(app.dispatcher.rules, app.now().date()))
    return 0


def print_bad_lines(t: Translator, path: Path, error: OrgCsvError) -> None:
    """Say every bad line of an org file at once, and that nothing was imported."""
    problems = error.problems
    if len(problems) == 1:
        fail(t("{file}, line {line}: {problem}. Nothing was imported.", file=path,
               line=error.line, problem=t(error.template, **error.values)))
        return
    lines = {p.line for p in problems}
    fail(t.plural("Nothing was imported: {n} line of {file} has a problem.",
                  "Nothing was imported: {n} lines of {file} have problems.", len(lines),
                  file=path))
    for problem in problems:
        fail(t("Line {line}: {problem}", line=str(problem.line),
               problem=t(problem.template, **problem.values)))


def print_tree_changes(t: Translator, result: ImportResult) -> None:
    """Say which cells moved and what the file closed (no longer named), from which day."""
    if result.moved:
        print(t.plural("{n} cell moved under another unit: {codes}",
                       "{n} cells moved under another unit: {codes}", len(result.moved),
                       codes=", ".join(result.moved)))
    if result.closed and result.on is not None:
        print(t("Closed from {date}, no longer in the file (kept with their reports):",
                date=t.date(result.on)))
        for unit in result.closed:
            print(f"  {unit.name} ({unit.code})" if unit.code else f"  {unit.name}")


async def merge_org(app: App, t: Translator, path: Path) -> int:
    try:
        rows = parse_merge_rows(await asyncio.to_thread(read_table_file, path))
        result = await OrgRepository(app.db).merge(rows)
    except TableError as exc:
        fail(t("Cannot read {file}: {problem}. Nothing was changed.", file=path, problem=exc))
        return 1
    except OrgCsvError as exc:
        fail(t("{file}, line {line}: {problem}. Nothing was changed.", file=path,
               line=exc.line, problem=t(exc.template, **exc.values)))
        return 1
    print(t("Merged {file}: {closed} closed and linked to their successors, {moved} moved "
            "under them.", file=path,
            closed=t.plural("{n} unit", "{n} units", result.closed),
            moved=t.plural("{n} cell or unit", "{n} cells or units", result.moved)))
    for name in result.created:
        print(t("Created {unit}.", unit=name))
    if result.unplaced:
        fail(t("Still under a unit merged into several, to place with org import: {names}",
               names=", ".join(result.unplaced)))
    return 0


async def move_roles(
    app: App, t: Translator, source: str, target: str | None, roles: Sequence[Role]
) -> int:
    org = OrgRepository(app.db)
    unit = await org.find(source)
    if unit is None:
        fail(t("No unit or cell matches {target}.", target=repr(source)))
        return 1
    if target is None:
        successors = await org.successors(unit.id)
        if len(successors) != 1:
            fail(t("{unit} was not merged into one unit: name the unit to move the roles to.",
                   unit=unit.name))
            return 1
        to = successors[0][0]
    else:
        found = await org.find(target)
        if found is None:
            fail(t("No unit or cell matches {target}.", target=repr(target)))
            return 1
        to = found
    today = app.now().date()
    if not to.exists_on(today):
        fail(t("{unit} is closed: move the roles to a unit that exists today.", unit=to.name))
        return 1
    if Role.SECRETARY in roles and to.kind != "cell":
        roles = [r for r in roles if r is not Role.SECRETARY]  # a secretary's unit is a cell
        fail(t("Secretaries stay on {unit}: they move only to a cell.", unit=unit.name))
    moved = await UserRepository(app.db).move_roles(unit.id, to.id, roles, app.now())
    print(t.plural("Moved {n} role from {source} to {target}.",
                   "Moved {n} roles from {source} to {target}.", moved,
                   source=unit.name, target=to.name))
    return 0


def print_cell_sizes(t: Translator, cells: Sequence[CellRow], rules: CellRules) -> None:
    """Warn about cells below the Charter's size; count those that elect a cell committee."""
    for cell in cells:
        if cell_size(cell.full_members, rules) is CellSize.TOO_SMALL:
            fail(t.plural(
                "Warning, line {line}: {code} has {n} full member; a cell needs at least {least}.",
                "Warning, line {line}: {code} has {n} full members; a cell needs at least "
                "{least}.",
                cell.full_members, line=cell.line, code=cell.code,
                least=t.number(rules.min_full_members),
            ))
    committees = sum(cell_size(c.full_members, rules) is CellSize.COMMITTEE for c in cells)
    if committees:
        print(t.plural(
            "{n} cell has {least} or more full members: it elects a cell committee.",
            "{n} cells have {least} or more full members: they elect a cell committee.",
            committees, least=t.number(rules.committee_full_members),
        ))


async def import_ratings(app: App, t: Translator, path: Path) -> int:
    from handlers.ratings import load_ratings

    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        fail(t("Cannot read {file}: {problem}. Nothing was imported.", file=path,
               problem=exc.strerror or exc))
        return 1
    loaded = await load_ratings(app.db, app.dispatcher.rules, t, data, scope=None,
                                by_user=None, now=app.now())
    if loaded.saved is None:
        fail(loaded.text)
        return 1
    print(loaded.text)
    return 0


def print_roll_resets(t: Translator, resets: Sequence[RollReset]) -> None:
    """Say which cells' counts the file changed: the import resets what recruitment moved."""
    if resets:
        print(t.plural("The file changed the counts of {n} cell (full, probationary, exempt):",
                       "The file changed the counts of {n} cells (full, probationary, exempt):",
                       len(resets)))
    for reset in resets:
        print(f"  {reset.code}: {'/'.join(map(str, reset.before))} → "
              f"{'/'.join(map(str, reset.after))}")


async def invite(app: App, t: Translator, target: str, role: Role, days: int) -> int:
    if not 1 <= days <= 90:
        fail(t("--days must be from 1 to 90"))
        return 1
    unit = await OrgRepository(app.db).find(target)
    if unit is None:
        fail(t("No unit or cell matches {target}.", target=repr(target)))
        return 1
    if role is Role.SECRETARY and unit.kind != "cell":
        fail(t("A secretary invite needs a cell code."))
        return 1
    if not unit.exists_on(app.now().date()):
        fail(t("{unit} is closed: invite to a unit that exists today.", unit=unit.name))
        return 1
    now: datetime = app.now()
    code = await InviteRepository(app.db).create(role, unit.id, now, days)
    print(t("Invite for the {role} of {unit}, valid for {days}.", role=t(ROLE_NAMES[role]),
            unit=unit.name, days=t.plural("{n} day", "{n} days", days)))
    bot_name = await _bot_username(app)
    if bot_name:
        print(f"https://t.me/{bot_name}?start={code}")
    print(code)
    return 0


async def remind(app: App, t: Translator, as_of: date | None, dry_run: bool) -> int:
    """Run one round of reminders now (by hand: the quiet hours do not apply), or show it."""
    day = as_of or app.now().date()
    rounds = Rounds(app.db, app.dispatcher, app.outbox, app.now)
    if dry_run:
        await print_plan(app, t, day, await rounds.plan(day))
        return 0
    senders = [c for c in configured_channels(app) if isinstance(c, StandaloneSender)]
    if not senders:
        fail(t("Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set: there is no channel to "
               "send reminders through. Try --dry-run to see them."))
        return 2
    async with contextlib.AsyncExitStack() as stack:
        for sender in senders:  # ready to send, without taking the running bot's updates
            await stack.enter_async_context(sender.sending())
            app.outbox.add(sender)
        record = await rounds.run(day, by_hand=True)
    print(t("Reminders for {date}: {people} to remind, {sent} sent, {failed} failed, "
            "{unreachable} unreachable (they blocked the bot).", date=t.date(day),
            people=t.number(record.people), sent=t.number(record.sent),
            failed=t.number(record.failed), unreachable=t.number(record.unreachable)))
    if record.failed:
        fail(t("The failed ones are tried again at the next round."))
    return 1 if record.failed else 0


async def print_plan(app: App, t: Translator, day: date, planned: Sequence[Planned]) -> None:
    """Print who would be reminded of what: cell or area, kind, channel and profile name."""
    count = sum(len(person.dues) for person in planned)
    print(t("Reminders for {date}: {reminders} for {people} (nothing is sent or recorded).",
            date=t.date(day), reminders=t.plural("{n} reminder", "{n} reminders", count),
            people=t.plural("{n} person", "{n} people", len(planned))))
    org = OrgRepository(app.db)
    for person in planned:
        contact = person.contact
        name = contact.display_name or t("no profile name")
        for due in person.dues:
            if due.cell is not None:
                about = f"{due.cell.code} {due.cell.name}".strip()
            else:
                unit = await org.get(due.unit_id) if due.unit_id is not None else None
                about = unit.name if unit else "?"
            print(f"  {about} — {t(KIND_LABELS[due.kind])} ({due.period})"
                  f" → {contact.channel}, {name}")


async def export(app: App, t: Translator, period_text: str, scope: str,
                 output: Path | None, tree: Tree = Tree.THEN) -> int:
    """Write the workbook /xuat sends, for any unit (the administrator at the server)."""
    from bot.core.flow import Invalid
    from handlers.export import workbook_file
    from handlers.summary import period_label, read_period

    unit = await OrgRepository(app.db).find(scope)
    if unit is None:
        fail(t("No unit or cell matches {target}.", target=repr(scope)))
        return 1
    ctx = app.dispatcher.context_of(User(0, "cli", "operator", None, ()))  # CHIBO_LOCALE
    period = read_period(ctx, period_text)
    if isinstance(period, Invalid):
        fail(period.message)
        return 1
    attachment = await workbook_file(ctx, unit, period, tree)
    target = output or Path(attachment.filename)
    if await asyncio.to_thread(target.is_dir):
        target = target / attachment.filename
    try:
        await asyncio.to_thread(target.write_bytes, attachment.data)
    except OSError as exc:
        fail(t("Cannot write {file}: {problem}", file=target, problem=exc.strerror or exc))
        return 1
    print(t("Workbook of {unit}, {period} saved to {file} ({size} kB).", unit=unit.name,
            period=period_label(ctx, period), file=target,
            size=t.number(round(len(attachment.data) / 1000))))
    return 0


async def backup(app: App, t: Translator, target: Path) -> int:
    # Never overwrite: yesterday's copy may be the one that matters.
    if await asyncio.to_thread(target.exists):
        fail(t("{file} already exists; choose a new file name.", file=target))
        return 1
    try:
        await app.db.backup_to(target)
    except Exception as exc:  # sqlite3 errors for an unwritable folder, a full disk…
        fail(t("Cannot write {file}: {problem}", file=target, problem=exc))
        return 1
    print(t("Database copied to {file}.", file=target))
    return 0


async def _bot_username(app: App) -> str | None:
    """Ask Telegram for the bot's name when a token is set; a link needs it."""
    if app.settings.telegram_token is None:
        return None
    from bot.channels.telegram import fetch_username

    return await fetch_username(app.settings)


if __name__ == "__main__":
    sys.exit(main())
