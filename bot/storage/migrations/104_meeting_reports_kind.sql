-- A month's thematic coverage looks back to its quarter's first months: the province's
-- thematic meetings of those days are found by kind and day, not among every report of every
-- cell (regular meetings are most of them).
CREATE INDEX meeting_reports_kind ON meeting_reports(kind, held_on, cell_id)
