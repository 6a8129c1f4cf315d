"""Command line: run, shell, demo, org import, invite, backup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.app import App, configure_logging, open_app
from bot.config import ConfigError, Settings, load_settings
from bot.demo import seed_demo
from bot.domain.org import OrgCsvError, Role, parse_org_csv
from bot.domain.rulebook import RulebookError
from bot.shell import ShellUsers, is_demo_database
from bot.storage.org import OrgRepository
from bot.storage.users import InviteRepository

log = logging.getLogger("bot")


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
    org_import = org_commands.add_parser("import", help="create or update cells from a CSV")
    org_import.add_argument("file", type=Path)
    invite = commands.add_parser("invite", help="print a one-time invite code")
    invite.add_argument("target", help="cell code (secretary), or unit code or path")
    invite.add_argument("--role", choices=[r.value for r in Role], required=True)
    invite.add_argument("--days", type=int, default=7)
    backup = commands.add_parser("backup", help="copy the database to a file, even while running")
    backup.add_argument("file", type=Path)
    return parser


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


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    app = await open_app(settings)
    try:
        if args.command == "run":
            return await run(app)
        if args.command == "shell":
            return await shell(app, args.role, args.cell)
        if args.command == "demo":
            summary = await seed_demo(app.db, app.dispatcher.now())
            print(f"Demo district ready in {settings.database}: {summary.communes} communes, "
                  f"{summary.cells} cells. Try: python -m bot shell --cell {summary.first_cell}")
            return 0
        if args.command == "org":
            return await import_org(app, args.file)
        if args.command == "invite":
            return await invite(app, args.target, Role(args.role), args.days)
        if args.command == "backup":
            return await backup(app, args.file)
    finally:
        await app.close()
    return 1


async def run(app: App) -> int:
    if app.settings.telegram_token is None:
        if not await is_demo_database(app.db):  # never mix demo data into a real database
            print("TELEGRAM_BOT_TOKEN is not set. Set it to run the bot, or use "
                  "`python -m bot shell --cell CODE` to chat in the terminal.", file=sys.stderr)
            return 2
        print("TELEGRAM_BOT_TOKEN is not set: opening the terminal shell on the demo district.")
        return await shell(app, "secretary", None)
    from bot.channels.telegram import run_telegram

    await run_telegram(app)
    return 0


async def shell(app: App, role: str, cell: str | None) -> int:
    from bot.channels.console import ConsoleChannel

    users = await ShellUsers.prepare(app.db, app.dispatcher.now(), cell)
    user_key = await users.key_for(role)
    if user_key is None:
        print("Name a cell that exists: python -m bot shell --cell CODE"
              if role == Role.SECRETARY else "The database has no units yet: run `org import`.",
              file=sys.stderr)
        return 2
    channel = ConsoleChannel(app.dispatcher, user_key, app.settings.locale, users.key_for)
    await channel.run()
    return 0


async def import_org(app: App, path: Path) -> int:
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return 1
    try:
        cells = parse_org_csv(text)
        today = app.dispatcher.now().date()
        created, updated = await OrgRepository(app.db).import_cells(cells, on=today)
    except OrgCsvError as exc:
        print(f"{path}: {exc}. Nothing was imported.", file=sys.stderr)
        return 1
    print(f"Imported {path}: {created} cells created, {updated} updated.")
    return 0


async def invite(app: App, target: str, role: Role, days: int) -> int:
    if not 1 <= days <= 90:
        print("--days must be from 1 to 90", file=sys.stderr)
        return 1
    unit = await OrgRepository(app.db).find(target)
    if unit is None:
        print(f"No unit or cell matches {target!r}.", file=sys.stderr)
        return 1
    if role is Role.SECRETARY and unit.kind != "cell":
        print("A secretary invite needs a cell code.", file=sys.stderr)
        return 1
    now: datetime = app.dispatcher.now()
    code = await InviteRepository(app.db).create(role, unit.id, now, days)
    print(f"Invite for {role.value} of {unit.name}, valid for {days} days.")
    bot_name = await _bot_username(app)
    if bot_name:
        print(f"https://t.me/{bot_name}?start={code}")
    print(code)
    return 0


async def backup(app: App, target: Path) -> int:
    # Never overwrite: yesterday's copy may be the one that matters.
    if await asyncio.to_thread(target.exists):
        print(f"{target} already exists; choose a new file name.", file=sys.stderr)
        return 1
    try:
        await app.db.backup_to(target)
    except Exception as exc:  # sqlite3 errors for an unwritable folder, a full disk…
        print(f"Cannot write {target}: {exc}", file=sys.stderr)
        return 1
    print(f"Database copied to {target}.")
    return 0


async def _bot_username(app: App) -> str | None:
    """Ask Telegram for the bot's name when a token is set; a link needs it."""
    if app.settings.telegram_token is None:
        return None
    from bot.channels.telegram import fetch_username

    return await fetch_username(app.settings)


if __name__ == "__main__":
    sys.exit(main())
