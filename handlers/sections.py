"""Parts of the cell's standing that other features contribute (recruitment, ratings).

The standing handler renders its own meeting indicators, then asks each section here for
lines about the cell; a section with nothing to say returns None.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.flow import Ctx
from bot.domain.org import OrgUnit

StandingSection = Callable[[Ctx, OrgUnit], Awaitable[str | None]]


def standing_sections() -> list[StandingSection]:
    """Return the extra sections in display order."""
    # Imports stay inside: a feature module may import the standing handler itself.
    sections: list[StandingSection] = []
    from handlers.recruitment_view import recruitment_section

    sections.append(recruitment_section)  # pipeline counts and each record's next deadline
    from handlers.ratings import ratings_section

    sections.append(ratings_section)  # the latest annual rating the upper committee decided
    return sections
