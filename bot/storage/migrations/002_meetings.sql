-- Cell meeting reports (issue 3): counts and flags only, never names or absence reasons.

CREATE TABLE meeting_reports (
    id INTEGER PRIMARY KEY,
    cell_id INTEGER NOT NULL REFERENCES org_units(id),
    held_on TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('regular', 'thematic', 'combined')),
    -- 'YYYY-MM' when the report is the month's regular meeting: one per cell and month.
    regular_month TEXT,
    topic TEXT,
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    expected INTEGER NOT NULL CHECK (expected >= 0),
    present INTEGER NOT NULL CHECK (present >= 0),
    excused INTEGER NOT NULL CHECK (excused >= 0),
    resolution_adopted INTEGER NOT NULL CHECK (resolution_adopted IN (0, 1)),
    tasks INTEGER NOT NULL CHECK (tasks >= 0),
    to_hamlet_board INTEGER NOT NULL CHECK (to_hamlet_board IN (0, 1)),
    to_fatherland_front INTEGER NOT NULL CHECK (to_fatherland_front IN (0, 1)),
    to_mass_orgs INTEGER NOT NULL CHECK (to_mass_orgs IN (0, 1)),
    note TEXT,
    reported_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reported_at TEXT NOT NULL,
    UNIQUE (cell_id, regular_month)
);
CREATE INDEX meeting_reports_cell_day ON meeting_reports(cell_id, held_on);
CREATE INDEX meeting_reports_day ON meeting_reports(held_on);

-- Earlier versions of replaced reports: who replaced it, when, and the old values as JSON.
CREATE TABLE meeting_report_history (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES meeting_reports(id),
    replaced_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    replaced_at TEXT NOT NULL,
    old_values TEXT NOT NULL
);
CREATE INDEX meeting_report_history_report ON meeting_report_history(report_id);
