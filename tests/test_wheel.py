"""The built wheel, installed into a fresh venv, carries every file the bot reads at run time.

An editable install reads migrations and catalogs from the checkout, so it hides a wheel
without them: the database would get no tables and every message would be English.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str | Path, cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "CHIBO_", "PYTHON", "VIRTUAL_ENV"))}
    environment.update(env)
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=environment, input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def vietnamese(msgid: str) -> str:
    with (ROOT / "locales" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return str(read_po(handle, locale="vi")[msgid].string)


def test_the_installed_wheel_migrates_a_database_and_answers_in_vietnamese(
    tmp_path: Path,
) -> None:
    # Built from a clean copy: a `build/` folder left in the checkout would fill the gaps.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "*.sqlite3*"))
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, source,
        cwd=tmp_path)
    (wheel,) = wheels.glob("so_chi_bo-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"  # not the checkout: `bot` must come from the venv
    elsewhere.mkdir()
    database = str(tmp_path / "chibo.sqlite3")

    demo = run(python, "-m", "bot", "demo", cwd=elsewhere, CHIBO_DB=database)
    assert "102" in demo.stdout
    where = run(python, "-c", "import bot; print(bot.__file__)", cwd=elsewhere)
    assert str(venv) in where.stdout

    shell = run(python, "-m", "bot", "shell", "--cell", "TL-01", cwd=elsewhere,
                stdin="/trogiup\n:q\n", CHIBO_DB=database, CHIBO_LOCALE="vi")
    assert vietnamese("Show this help") in shell.stdout
