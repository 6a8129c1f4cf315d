-- Where each person of the pipeline stands: their latest step not undone nor failed, and their
-- ceremony, each found by one seek of this covering index (a province's summary looks at
-- 6,000 people; the (recruit_id, id) index made it read every step's row).
CREATE INDEX recruit_moves_standing ON recruit_moves(
    recruit_id, undone_at, failed, id, stage, on_date, received_on
)
