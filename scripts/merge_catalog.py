"""A git merge driver for gettext catalogs: the union of both sides' messages.

Two branches that each add messages conflict on every neighbouring entry of a sorted .po
file, though nothing really collides. This driver keeps every message of either side. A msgid
both sides have takes the side that changed its translation since the common ancestor (so a
fix made on either side survives); if both changed it, ours wins unless it is empty. Run
`python scripts/catalogs.py update` after the merge to drop what the code no longer uses.

    git config merge.catalog.driver "python3 scripts/merge_catalog.py %O %A %B"
    (.gitattributes: *.po merge=catalog, *.pot merge=catalog)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _translated(value: object) -> bool:
    if isinstance(value, tuple | list):
        return all(value)
    return bool(value)


def merge(base_path: Path, ours_path: Path, theirs_path: Path) -> None:
    base, ours, theirs = _read(base_path), _read(ours_path), _read(theirs_path)
    for message in theirs:
        if not message.id:
            continue
        mine = ours.get(message.id)
        if mine is None:
            ours[message.id] = message
            continue
        ancestor = base.get(message.id)
        before = ancestor.string if ancestor is not None else None
        they_changed = message.string != before and _translated(message.string)
        if (mine.string == before and they_changed) or (
                not _translated(mine.string) and _translated(message.string)):
            mine.string = message.string
    ours.obsolete.clear()
    with ours_path.open("wb") as handle:
        write_po(handle, ours, width=99, sort_output=True, include_lineno=False,
                 include_previous=False)


if __name__ == "__main__":
    _, base_file, ours_file, theirs_file = sys.argv
    merge(Path(base_file), Path(ours_file), Path(theirs_file))
