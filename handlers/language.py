"""/ngonngu (/language): choose Tiếng Việt or English; the choice is stored.

    ask_language ──tap/type──► stored, confirmed in the new language
"""

from __future__ import annotations

from bot.core.commands import Command
from bot.core.flow import ChoiceStep, Ctx, Done, Flow, Outcome
from bot.core.messages import Choice, Reply
from bot.i18n import N_, language_names, translator
from bot.storage.users import UserRepository


def language_choices(ctx: Ctx) -> list[Choice]:
    return [Choice(code, name) for code, name in language_names().items()]


async def received_language(ctx: Ctx, code: str) -> Outcome:
    await UserRepository(ctx.db).set_locale(ctx.user.id, code, also=ctx.ending)
    ctx.t = translator(code)
    return Done([Reply(ctx.t("Language set to English."))])


FLOW = Flow("language", [
    ChoiceStep(
        "language",
        question=lambda ctx: ctx.t("Choose your language:"),
        options=language_choices,
        then=received_language,
        counted=False,
    ),
], disposable=True)

COMMANDS = [
    Command(("ngonngu", "language"), N_("Choose the language"), flow=FLOW),
]
