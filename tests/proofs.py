"""The figures of the suite's proofs (fuzzing, crashes, load), printed at the end of a run.

A proof adds what it measured with `note("fuzzing", "…")`; tests/conftest.py prints every
note in a "proofs" section of pytest's summary, so a run says how many cases it tried.
"""

from __future__ import annotations

NOTES: dict[str, list[str]] = {}


def note(proof: str, line: str) -> None:
    """Keep a line of figures under the proof's name, for the end of the run."""
    NOTES.setdefault(proof, []).append(line)
