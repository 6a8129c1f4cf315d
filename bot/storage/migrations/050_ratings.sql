-- Annual quality ratings of cells (issue 11): the level decided by the upper committee and how
-- many members got each class. Counts only: no member is named or rated individually here.

CREATE TABLE cell_ratings (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES org_units(id),
    year INTEGER NOT NULL,
    scheme TEXT NOT NULL CHECK (scheme IN ('2015', '2018', '2025')),
    level TEXT NOT NULL,
    score REAL CHECK (score IS NULL OR (score >= 0 AND score <= 100)),
    members_rated INTEGER NOT NULL CHECK (members_rated >= 0),
    members_excellent INTEGER NOT NULL CHECK (members_excellent >= 0),
    members_good INTEGER NOT NULL CHECK (members_good >= 0),
    members_satisfactory INTEGER NOT NULL CHECK (members_satisfactory >= 0),
    members_failed INTEGER NOT NULL CHECK (members_failed >= 0),
    loaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    loaded_at TEXT NOT NULL,
    UNIQUE (cell_id, year)
);
CREATE INDEX cell_ratings_year ON cell_ratings(year, cell_id);

-- Earlier ratings replaced by a later file: who replaced them, when, the old values as JSON.
CREATE TABLE cell_rating_history (
    id INTEGER PRIMARY KEY,
    rating_id INTEGER NOT NULL REFERENCES cell_ratings(id),
    replaced_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    replaced_at TEXT NOT NULL,
    old_values TEXT NOT NULL
);
CREATE INDEX cell_rating_history_rating ON cell_rating_history(rating_id);
