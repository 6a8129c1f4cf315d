"""A demo district (Cần Đước before the 2025 merger) with users for the terminal shell."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bot.domain.org import CellRow, Role
from bot.storage.database import Database
from bot.storage.org import OrgRepository
from bot.storage.users import UserRepository

DISTRICT = "Huyện Cần Đước"
# The 16 communes and the township of Cần Đước in 2016, with a short code prefix each.
COMMUNES = [
    ("Thị trấn Cần Đước", "TT"), ("Xã Long Trạch", "LTR"), ("Xã Long Khê", "LKH"),
    ("Xã Long Hòa", "LHO"), ("Xã Long Cang", "LCA"), ("Xã Long Định", "LDI"),
    ("Xã Phước Vân", "PVA"), ("Xã Long Sơn", "LSO"), ("Xã Tân Trạch", "TTR"),
    ("Xã Mỹ Lệ", "MLE"), ("Xã Tân Lân", "TL"), ("Xã Phước Đông", "PDO"),
    ("Xã Long Hựu Đông", "LHD"), ("Xã Long Hựu Tây", "LHT"), ("Xã Tân Ân", "TAN"),
    ("Xã Tân Chánh", "TCH"), ("Xã Phước Tuy", "PTU"),
]
# A few real hamlet names; the rest are numbered as many hamlets are.
NAMED_HAMLETS = {"TL": ["Chi bộ ấp Xóm Chùa", "Chi bộ ấp Xóm Đình", "Chi bộ ấp Chợ"]}

CONSOLE = "console"
STAFF_KEY = "demo-staff"
ADMIN_KEY = "demo-admin"


def secretary_key(cell_code: str) -> str:
    return f"demo-secretary-{cell_code}"


@dataclass(frozen=True)
class DemoSummary:
    communes: int
    cells: int
    first_cell: str


def demo_cells(seed: int = 2016) -> list[CellRow]:
    """Return about 100 hamlet cells with plausible rolls (10–40 members), same every run."""
    rng = random.Random(seed)
    rows: list[CellRow] = []
    for commune, prefix in COMMUNES:
        count = 11 if prefix == "TT" else rng.randint(5, 6)
        named = NAMED_HAMLETS.get(prefix, [])
        for number in range(1, count + 1):
            if number <= len(named):
                name = named[number - 1]
            elif prefix == "TT":
                name = f"Chi bộ khu phố {number}"
            else:
                name = f"Chi bộ ấp {number}"
            full = rng.randint(9, 34)
            rows.append(CellRow(
                line=len(rows) + 2,
                path=(DISTRICT, commune, name),
                code=f"{prefix}-{number:02d}",
                full_members=full,
                probationary_members=rng.randint(0, 3),
                exempt_members=rng.randint(0, max(1, full // 8)),
            ))
    return rows


async def seed_demo(db: Database, now: datetime) -> DemoSummary:
    """Create or refresh the demo district and its users; safe to run again."""
    cells = demo_cells()
    org = OrgRepository(db)
    await org.import_cells(cells, at=now)
    users = UserRepository(db)
    district = await org.by_path([DISTRICT])
    assert district is not None
    for cell in cells:
        unit = await org.by_code(cell.code)
        assert unit is not None
        user_id = await users.ensure(CONSOLE, secretary_key(cell.code), now)
        await users.grant(user_id, Role.SECRETARY, unit.id, now)
    staff_id = await users.ensure(CONSOLE, STAFF_KEY, now)
    await users.grant(staff_id, Role.STAFF, district.id, now)
    admin_id = await users.ensure(CONSOLE, ADMIN_KEY, now)
    await users.grant(admin_id, Role.ADMIN, district.id, now)
    return DemoSummary(len(COMMUNES), len(cells), cells[0].code)
