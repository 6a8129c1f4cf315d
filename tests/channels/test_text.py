"""Channels without buttons (the terminal, Zalo): numbered choices, marks, texts cut to fit."""

from __future__ import annotations

import asyncio
import io
import os
import threading
from pathlib import Path

import pytest

from bot.channels.console import ConsoleChannel, ShellChannel
from bot.channels.text import render_plain, split_text
from bot.core.dispatcher import Dispatcher
from bot.core.flow import BACK, DONE
from bot.core.messages import Choice, Reply
from bot.core.outbound import Undeliverable
from bot.domain.org import Role
from bot.shell import ShellUser
from bot.storage.database import Database
from bot.storage.users import UserRepository
from tests.support import World


def test_a_multi_select_is_numbered_with_marks_and_its_controls_unmarked() -> None:
    reply = Reply("Gửi đến đâu?", (Choice("a", "Ban nhân dân"), Choice("b", "Đoàn thể"),
                                   Choice(DONE, "Xong"), Choice(BACK, "« Quay lại")),
                  multi=True, selected=frozenset({"b"}))
    assert render_plain(reply).splitlines() == [
        "Gửi đến đâu?", "", "1. ☐ Ban nhân dân", "2. ☑ Đoàn thể", "3. Xong", "4. « Quay lại"]


def test_a_zalo_sized_text_is_cut_under_2000_characters_at_line_ends() -> None:
    text = "".join(f"Dòng {n}: chi bộ ấp Xóm Chùa đã họp, 18/21 dự.\n" for n in range(120))
    chunks = split_text(text, 2000)  # Zalo counts characters
    assert len(chunks) == 3
    assert all(len(c) <= 2000 for c in chunks) and all(c.endswith("dự.") for c in chunks)
    assert "\n".join(chunks) == text.rstrip("\n")


def test_a_limit_smaller_than_one_character_still_makes_progress() -> None:
    assert split_text("😀😀", 1, lambda s: len(s.encode("utf-16-le")) // 2) == ["😀", "😀"]


async def test_the_shell_runs_until_stopped_and_shows_messages_for_its_user(
    dispatcher: Dispatcher,
) -> None:
    out = io.StringIO()
    me = ShellUser("sec-1", Role.SECRETARY, ("Chi bộ ấp Xóm Chùa (TL-01)",))
    console = ConsoleChannel(dispatcher, me, "en", no_switch, out=out)
    reading, typing = os.pipe()  # a terminal nobody types into
    with os.fdopen(reading, encoding="utf-8") as stream, os.fdopen(typing, "w") as keyboard:
        shell = ShellChannel(console, stream)
        stop = asyncio.Event()
        running = asyncio.create_task(shell.run(stop))
        await asyncio.sleep(0.05)
        await shell.send("sec-1", [Reply("Reminder: report the meeting")])
        with pytest.raises(Undeliverable):
            await shell.send("sec-2", [Reply("not for the person at the terminal")])
        stop.set()
        await asyncio.wait_for(running, 1)
        keyboard.close()  # the reading thread sees the end and finishes
        for thread in threading.enumerate():
            if thread.name == "console-input":
                thread.join(timeout=5)
    assert "Reminder: report the meeting" in out.getvalue()
    assert "not for the person" not in out.getvalue()


async def no_switch(spec: str) -> ShellUser | None:
    return None


async def test_the_shell_says_it_is_preparing_then_saves_the_file_under_exports(
    dispatcher: Dispatcher, db: Database, world: World, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = UserRepository(db)
    organiser = await users.ensure("console", "org-1", dispatcher.now())
    await users.grant(organiser, Role.STAFF, world.commune_id, dispatcher.now())
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    me = ShellUser("org-1", Role.STAFF, ("Xã Tân Lân",))
    console = ConsoleChannel(dispatcher, me, "en", no_switch, out=out)
    dispatcher.outbox.add(ShellChannel(console))  # as the app does with its channels
    assert await console.send_line("/export 2026-11")
    saved = tmp_path / "exports" / "summary-xa-tan-lan-2026-11.xlsx"
    assert saved.read_bytes()[:2] == b"PK"  # an xlsx is a zip
    shown = out.getvalue()
    assert shown.index("Preparing the file") < shown.index(f"Saved to {saved}")
