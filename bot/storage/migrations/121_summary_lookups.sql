-- Organisers' summaries at province scale: what a summary looks up besides the per-cell sums,
-- each by an index that holds it. The count of a period's secretaries' notes reads only this
-- index (the note's day and cell), not each noted report's row (1,700 of them in a year); the
-- latest notes still come in order from meeting_reports_noted.
CREATE INDEX meeting_reports_notes_by_cell ON meeting_reports(held_on, cell_id)
WHERE note IS NOT NULL AND note <> '';

-- The period's ceremonies and confirmations in force, found by day instead of reading every
-- step of the pipeline (17,000 in the benchmark's province). Only a query naming these two
-- stages uses it: one person's ceremony is still found among their own steps.
CREATE INDEX recruit_moves_admissions ON recruit_moves(on_date, recruit_id, stage)
WHERE undone_at IS NULL AND failed = 0 AND stage IN ('CEREMONY', 'CONFIRMED')
