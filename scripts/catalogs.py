"""Keep the gettext catalogs in step with the code.

    python scripts/catalogs.py update   # extract messages.pot, merge into vi and en .po
    python scripts/catalogs.py check    # exit 1 if the .pot is stale or vi/en are incomplete
    python scripts/catalogs.py fill vi FILE.json   # set msgstr from a {msgid: msgstr} file

`update` keeps every existing translation, adds new msgids with an empty vi msgstr (to fill
in by hand), fills en msgstr with the English msgid, and drops msgids no longer in the code.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
SOURCES = ("bot", "handlers")
KEYWORDS = {"t": None, "N_": None, "plural": (1, 2)}
LANGUAGES = ("vi", "en")
STABLE_DATE = datetime(2026, 11, 27, tzinfo=UTC)


def extract() -> Catalog:
    """Return a template catalog of every message marked in the sources."""
    # A fixed date keeps the files byte-stable: only real message changes show in a diff.
    catalog = Catalog(project="so-chi-bo", version="0.1", charset="utf-8",
                      creation_date=STABLE_DATE, revision_date=STABLE_DATE)
    for folder in SOURCES:
        found = extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("NOTE:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)],
                        auto_comments=comments, context=context)
    return catalog


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=99, sort_output=True, include_lineno=False,
                 include_previous=False)


def update() -> None:
    template = extract()
    write(POT, template)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read(path, language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=True)
        catalog.revision_date = STABLE_DATE
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if language == "en" and not any(_strings(message.string)):
                # English msgids are the English text; plurals get both forms.
                message.string = message.id
            message.flags.discard("fuzzy")
        write(path, catalog)
    print(f"{POT.relative_to(ROOT)}: {len(template)} messages")
    for problem in problems():
        print(problem)


def _strings(value: object) -> tuple[str, ...]:
    """Return the translation(s) of a message: one string, or a tuple for plurals."""
    if isinstance(value, tuple | list):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


def problems() -> list[str]:
    """Return what is stale or missing, one line each (empty when all is well)."""
    found: list[str] = []
    template_ids = {m.id for m in extract() if m.id}
    pot_ids = {m.id for m in read(POT) if m.id} if POT.exists() else set()
    if template_ids != pot_ids:
        found.append("messages.pot is out of date: run python scripts/catalogs.py update")
    for language in LANGUAGES:
        catalog = read(po_path(language), language)
        for message in catalog:
            if message.id and message.id in template_ids and not all(_strings(message.string)):
                ident = message.id if isinstance(message.id, str) else message.id[0]
                found.append(f"{language}: untranslated: {ident[:70]!r}")
        missing = template_ids - {m.id for m in catalog if m.id}
        found.extend(f"{language}: missing msgid {str(m)[:70]!r}" for m in missing)
    return found


def fill(language: str, mapping_file: Path) -> None:
    """Set the translations given as {msgid: msgstr} in a JSON file (others untouched)."""
    import json

    mapping = json.loads(mapping_file.read_text(encoding="utf-8"))
    path = po_path(language)
    catalog = read(path, language)
    unknown = [msgid for msgid in mapping if msgid not in catalog]
    for msgid, text in mapping.items():
        if msgid in catalog:
            message = catalog[msgid]
            # A plural message takes one form per plural of the language (Vietnamese has one).
            message.string = (text,) * catalog.num_plurals if message.pluralizable else text
    write(path, catalog)
    print(f"{path.relative_to(ROOT)}: set {len(mapping) - len(unknown)} translations")
    for msgid in unknown:
        print(f"not in the catalog (run update first?): {msgid[:70]!r}")


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "fill" and argv[2] in LANGUAGES:
        fill(argv[2], Path(argv[3]))
        return 0
    if argv[1:] == ["update"]:
        update()
        return 0
    if argv[1:] == ["check"]:
        issues = problems()
        print("\n".join(issues) or "catalogs complete")
        return 1 if issues else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
