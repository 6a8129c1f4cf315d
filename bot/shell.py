"""Who you are in the terminal shell: demo users on the demo district, or users you name.

On an empty database the shell seeds the demo district; on one marked as the demo already, it
leaves the data as it is (a corrected roll stays corrected; `demo` refreshes on purpose), and
it acts as the demo users. On a real database it never adds demo data: it acts as a console user
bound to the cell or the top units you name, since whoever runs it can read the file anyway;
such a user is nobody's registered secretary or organiser (bot.storage.marks.REGISTERED): not
counted by /chuabaocao, never reminded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.demo import (
    ADMIN_KEY,
    STAFF_KEY,
    demo_cells,
    secretary_key,
    seed_demo,
)
from bot.domain.org import Role
from bot.storage.database import Database
from bot.storage.marks import TERMINAL, DatabaseMarks
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository


@dataclass(frozen=True)
class ShellUser:
    """Who the shell acts as: the user key and, for the banner, the role and its units."""

    key: str
    role: Role
    units: tuple[str, ...]  # "Chi bộ ấp Xóm Chùa (TL-01)", or the top units of an organiser


@dataclass
class ShellUsers:
    db: Database
    now: datetime
    demo: bool
    default_cell: str | None

    @classmethod
    async def prepare(cls, db: Database, now: datetime, cell: str | None) -> ShellUsers:
        if await DatabaseMarks(db).is_empty():
            await seed_demo(db, now)
        demo = await DatabaseMarks(db).is_demo()
        first = demo_cells()[0].code if demo else None
        return cls(db, now, demo, (cell or first or "").upper() or None)

    async def user_for(self, spec: str) -> ShellUser | None:
        """Return the console user for "secretary [CELL]", "staff" or "admin", or None."""
        parts = spec.split()
        if not parts or parts[0] not in {r.value for r in Role} or len(parts) > 2:
            return None
        role = Role(parts[0])
        if role is Role.SECRETARY:
            code = parts[1].upper() if len(parts) == 2 else self.default_cell
            return None if code is None else await self._secretary(code)
        if len(parts) == 2:
            return None
        roots = await OrgRepository(self.db).roots_on(self.now.date())
        if not roots:
            return None
        names = tuple(name for _, name in roots)
        if self.demo:
            return ShellUser(STAFF_KEY if role is Role.STAFF else ADMIN_KEY, role, names)
        key = f"shell-{role.value}"
        await self._grant(key, role, [unit_id for unit_id, _ in roots])
        return ShellUser(key, role, names)

    async def _secretary(self, code: str) -> ShellUser | None:
        cell = await OrgRepository(self.db).by_code(code)
        if cell is None or cell.kind != "cell":
            return None
        key = secretary_key(code) if self.demo else f"shell-secretary-{code}"
        await self._grant(key, Role.SECRETARY, [cell.id])
        return ShellUser(key, Role.SECRETARY, (f"{cell.name} ({code})",))

    async def _grant(self, key: str, role: Role, unit_ids: list[int]) -> None:
        users = UserRepository(self.db)
        user_id = await users.ensure(TERMINAL, key, self.now)
        for unit_id in unit_ids:
            await users.grant(user_id, role, unit_id, self.now)
