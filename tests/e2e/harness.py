"""Run the real bot process against the Bot API stand-in, for end-to-end scenarios.

    def test_something(bot: BotProcess) -> None:       # fixture from tests/e2e/conftest.py
        bot.import_org(ORG_CSV)
        code = bot.invite("TA-01", role="secretary")
        bot.start()
        bot.send_text(SECRETARY, f"/start {code}")
        bot.wait_for_message("Chi bộ ấp Một", user_id=SECRETARY)
        bot.press(SECRETARY, "English")                 # or bot.tap(SECRETARY, "token|key")
        bot.register(ADMIN, "Huyện Thử Nghiệm", role="admin")   # invite + /start, bot running
        bot.ask(ADMIN, "/moi", expect="(1/2)")          # send, then wait for a message
        bot.stop()                                      # SIGTERM; asserts a clean exit

Each `send_text`/`tap`/`press` moves a cursor: `wait_for_message` looks only at what the bot
sent after the last action, unless `since=` says otherwise. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from tests.e2e.standin import ApiCall, BotApiStandIn
from tests.logwatch import WATCH

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7000002:AAH-e2e_Token-NeverInLogs"
START_TIMEOUT = 30.0  # generous: CI machines are shared; a wait ends as soon as it is met
STOP_TIMEOUT = 20.0
WAIT = 15.0
CLI_TIMEOUT = 30.0

# A small org: one district, two communes, three cells.
ORG_CSV = (
    "path,code,full_members,probationary_members,exempt_members\n"
    "Huyện Thử Nghiệm/Xã Một/Chi bộ ấp Một,TA-01,15,2,0\n"
    "Huyện Thử Nghiệm/Xã Một/Chi bộ ấp Hai,TA-02,9,0,1\n"
    "Huyện Thử Nghiệm/Xã Hai/Chi bộ ấp Ba,TB-01,21,1,2\n"
)
DISTRICT = "Huyện Thử Nghiệm"


class BotProcess:
    """`python -m bot` as a subprocess, with its own database, talking to `api`."""

    def __init__(self, tmp_path: Path, api: BotApiStandIn, token: str = TOKEN):
        self.tmp_path = tmp_path
        self.api = api
        self.token = token
        self.database = tmp_path / "chibo.sqlite3"
        self.extra_env: dict[str, str] = {}  # more settings for every run (another channel)
        self.cursor = 0
        self.runs = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stdout: IO[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    # Environment and one-shot commands ---------------------------------------------------

    def environment(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "CHIBO_", "ZALO_"))}
        env.update({
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_API_URL": self.api.url,
            "CHIBO_DB": str(self.database),
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "error::ResourceWarning",
            # The process's clock is the real one: scheduled reminders on the days they fall
            # would come between a scenario's messages. tests/e2e/test_reminders_e2e turns
            # them on where it looks at them.
            "CHIBO_REMINDERS": "off",
        })
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `python -m bot ARGS` to completion, with `env` overriding the environment."""
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args], cwd=ROOT, env=self.environment(**env),
            capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
        WATCH.outputs.append(result.stderr)  # its log, scanned at the end (stdout is output)
        return result

    def import_org(self, csv_text: str = ORG_CSV) -> None:
        path = self.tmp_path / "org.csv"
        path.write_text(csv_text, encoding="utf-8")
        result = self.cli("org", "import", str(path))
        assert result.returncode == 0, result.stderr

    def invite(self, target: str, role: str = "secretary", days: int = 7) -> str:
        """Create an invite with the CLI; return the code (the last line of its output)."""
        result = self.cli("invite", target, "--role", role, "--days", str(days))
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert self.token not in result.stdout + result.stderr
        return lines[-1].strip()

    # The long-running process ------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = START_TIMEOUT, ready: str = "getUpdates") -> None:
        """Start `python -m bot run` and wait until it calls `ready` (polls for updates)."""
        assert not self.running, "already running"
        self.runs += 1
        mark = self.api.mark()
        self._stdout = (self.tmp_path / f"run{self.runs}.out").open("wb")
        self._stderr = (self.tmp_path / f"run{self.runs}.err").open("wb")
        WATCH.stderr.append(self.tmp_path / f"run{self.runs}.err")  # scanned at the end
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.environment(),
            stdout=self._stdout, stderr=self._stderr,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.calls_of(ready, since=mark):
                self.cursor = self.api.mark()
                return
            if self._process.poll() is not None:
                break
            time.sleep(0.02)
        output = self.stderr_text()
        self.kill()
        raise AssertionError(f"the bot did not call {ready} within {timeout} s:\n{output}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> str:
        """Send SIGTERM, check a clean exit (status 0, no traceback); return its stderr."""
        process = self._process
        assert process is not None, "not started"
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"no exit within {timeout} s of SIGTERM") from None
        self._close_files()
        log = self.stderr_text()
        self._process = None
        assert code == 0, f"exit status {code}:\n{log}"
        assert "Traceback" not in log, log
        assert self.token not in log and self.token not in self.stdout_text()
        return log

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """Stop without checks (cleanup after a failed test)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=STOP_TIMEOUT)
        self._process = None
        self._close_files()

    def _close_files(self) -> None:
        for stream in (self._stdout, self._stderr):
            if stream is not None:
                stream.close()
        self._stdout = self._stderr = None

    def stderr_text(self) -> str:
        path = self.tmp_path / f"run{self.runs}.err"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stdout_text(self) -> str:
        path = self.tmp_path / f"run{self.runs}.out"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    # Chatting ----------------------------------------------------------------------------

    def send_text(self, user_id: int, text: str, language_code: str | None = "vi") -> None:
        self.cursor = self.api.mark()
        self.api.send_text(user_id, text, language_code)

    def send_document(self, user_id: int, file_name: str, data: bytes,
                      language_code: str | None = "vi") -> None:
        self.cursor = self.api.mark()
        self.api.send_document(user_id, file_name, data, language_code=language_code)

    def tap(self, user_id: int, callback_data: str, language_code: str | None = "vi") -> None:
        """Tap the newest button in the user's chat carrying `callback_data`."""
        self.cursor = self.api.mark()
        self.api.tap(user_id, callback_data, language_code)

    def press(self, user_id: int, label: str, language_code: str | None = "vi") -> str:
        """Tap the newest button labelled `label`; return its callback data."""
        self.cursor = self.api.mark()
        return self.api.press(user_id, label, language_code)

    def wait_for_message(self, contains: str = "", user_id: int | None = None,
                         timeout: float = WAIT, since: int | None = None) -> ApiCall:
        """Wait for a message (or document) to the user sent after the last action."""
        self._check_alive()
        return self.api.wait_for_message(contains, user_id, timeout,
                                         self.cursor if since is None else since)

    def wait_for_edit(self, contains: str = "", user_id: int | None = None,
                      timeout: float = WAIT, since: int | None = None) -> ApiCall:
        """Wait for a prompt edited after the last action (a tap's acknowledgement)."""
        self._check_alive()
        return self.api.wait_for_edit(contains, user_id, timeout,
                                      self.cursor if since is None else since)

    def register(self, user_id: int, target: str, role: str = "secretary",
                 language_code: str | None = "vi") -> ApiCall:
        """Invite (CLI, while the bot runs) and register `user_id`; return the greeting."""
        code = self.invite(target, role)
        self.send_text(user_id, f"/start {code}", language_code)
        english = (language_code or "").startswith("en")
        return self.wait_for_message("/help" if english else "/trogiup", user_id)  # the greeting

    def last_prompt(self, user_id: int) -> ApiCall:
        """Return the newest message to `user_id` that has buttons."""
        for call in reversed(self.api.calls_of("sendMessage")):
            if call.chat_id == user_id and call.buttons:
                return call
        raise AssertionError(f"no prompt with buttons to {user_id}:\n{self.api.transcript()}")

    def ask(self, user_id: int, text: str, expect: str = "", language_code: str | None = "vi",
            timeout: float = WAIT) -> ApiCall:
        """Send `text` and return the first message after it that contains `expect`."""
        self.send_text(user_id, text, language_code)
        return self.wait_for_message(expect, user_id, timeout)

    def _check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise AssertionError(f"the bot exited:\n{self.stderr_text()}")
