-- The roll follows the pipeline (issue 8): each change a recruitment step or an org import
-- made to a cell's counts, with its source and date. The counts themselves stay in org_units;
-- these rows say why they moved, are shown at the next report's roll question, and let an
-- undo take a step's change back. An import is the administrator's reset: a step's change
-- made before it is not taken back by a later undo.
CREATE TABLE roll_changes (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES org_units(id),
    source TEXT NOT NULL CHECK (source IN (
        'CEREMONY', 'CONFIRMED', 'REMOVED_PROBATIONER', 'IMPORT'
    )),
    -- the recruitment step behind the change (none for an import)
    recruit_id INTEGER REFERENCES recruits(id),
    batch INTEGER,
    on_date TEXT NOT NULL,
    full_delta INTEGER NOT NULL,
    probationary_delta INTEGER NOT NULL,
    exempt_delta INTEGER NOT NULL,
    recorded_by INTEGER REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    undone_at TEXT
);
CREATE INDEX roll_changes_cell ON roll_changes(cell_id, recorded_at);
CREATE INDEX roll_changes_step ON roll_changes(recruit_id, batch);
