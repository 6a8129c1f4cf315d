-- Recruitment (issue 8): a vote below 2/3 is kept as a failed vote, and an admission decision
-- keeps the day the cell received it next to the committee's date.

-- A failed vote is a row of its own batch with the stage voted on; it is not a move, so the
-- person stays at their stage, and an undo takes it back like any other batch.
ALTER TABLE recruit_moves ADD COLUMN failed INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1));

-- ADMISSION_DECIDED: on_date is the decision's date (the 60 working days after the cell's vote
-- run to it), received_on the day the cell received it (the ceremony's 30 working days start).
-- Earlier rows stored the day received as on_date: keep that day as the day received too.
ALTER TABLE recruit_moves ADD COLUMN received_on TEXT;
UPDATE recruit_moves SET received_on = on_date WHERE stage = 'ADMISSION_DECIDED';
