-- Recruitment pipeline (issue 4): pseudonymous people and every move recorded for them.
-- No names, ID numbers, family or dossier content: an alias the secretary chooses, the birth
-- month and year (for the age check at the cell's vote) and dates.

CREATE TABLE recruits (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES org_units(id),
    alias TEXT NOT NULL CHECK (length(alias) BETWEEN 2 AND 40),
    birth_year INTEGER NOT NULL CHECK (birth_year BETWEEN 1900 AND 2100),
    birth_month INTEGER NOT NULL CHECK (birth_month BETWEEN 1 AND 12),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX recruits_cell ON recruits(cell_id);

-- Moves are never deleted: an undo stamps undone_at. The moves written by one answer share a
-- batch (recording a ceremony also starts the probation), and an undo takes back a batch.
CREATE TABLE recruit_moves (
    id INTEGER PRIMARY KEY,
    recruit_id INTEGER NOT NULL REFERENCES recruits(id),
    batch INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN (
        'SOURCE', 'SYMPATHISER', 'AWARENESS_COURSE', 'DOSSIER', 'CELL_VOTE_ADMIT',
        'BASE_COMMITTEE_VOTE', 'ADMISSION_DECIDED', 'CEREMONY', 'PROBATION',
        'CELL_VOTE_CONFIRM', 'CONFIRMED', 'REMOVED_PROBATIONER', 'DROPPED'
    )),
    on_date TEXT NOT NULL,
    yes_votes INTEGER CHECK (yes_votes >= 0),
    eligible_voters INTEGER CHECK (eligible_voters >= 1),
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    undone_at TEXT,
    undone_by INTEGER REFERENCES users(id)
);
CREATE INDEX recruit_moves_recruit ON recruit_moves(recruit_id, id);
CREATE INDEX recruit_moves_author ON recruit_moves(recorded_by, recorded_at);
