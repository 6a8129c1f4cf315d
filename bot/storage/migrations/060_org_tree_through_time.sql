-- The org tree through time (issue 13): units live from valid_from to valid_to, a unit's
-- parent is kept per period, and a merged unit names the units it became. Dates are ISO days;
-- a period runs from valid_from (included; NULL: since before the bot) to valid_to (excluded;
-- NULL: still open). A unit closed on 1 July 2025 has valid_to = '2025-07-01'.

ALTER TABLE org_units ADD COLUMN valid_from TEXT;
ALTER TABLE org_units ADD COLUMN valid_to TEXT;

-- The parent of each unit in each period; a root has a link with no parent. org_units.parent_id
-- stays the parent of the unit's latest link (names are unique under it, paths use it).
CREATE TABLE org_links (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    parent_id INTEGER REFERENCES org_units(id),
    valid_from TEXT,
    valid_to TEXT,
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to)
);
CREATE INDEX org_links_parent ON org_links(parent_id);
CREATE INDEX org_links_unit ON org_links(unit_id);
INSERT INTO org_links (unit_id, parent_id) SELECT id, parent_id FROM org_units;

-- A merged or renamed unit and the unit(s) it became on a day: trends follow these links.
CREATE TABLE org_successors (
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    successor_id INTEGER NOT NULL REFERENCES org_units(id),
    on_date TEXT NOT NULL,
    PRIMARY KEY (unit_id, successor_id),
    CHECK (unit_id <> successor_id)
);
CREATE INDEX org_successors_successor ON org_successors(successor_id);

-- When the holder of a role on a unit since closed was told that their access ended with it.
ALTER TABLE user_roles ADD COLUMN told_closed_at TEXT
