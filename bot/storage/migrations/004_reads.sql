-- Who among the organisers read which cell's data, and when (DOMAIN.md §7: audit staff reads).

CREATE TABLE data_reads (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    what TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX data_reads_unit ON data_reads(unit_id, at);
