-- Where each person of the pipeline stands, kept on their row: their latest move in force (not
-- undone, not a failed vote) and its stage, NULL while none is (a record withdrawn). The
-- repository sets both in the transaction of every move and undo (bot.storage.recruitment);
-- a province's summary then finds the few people at a stage with a deadline by this index
-- instead of seeking every person's latest move among 6,000.
ALTER TABLE recruits ADD COLUMN standing_move_id INTEGER REFERENCES recruit_moves(id);
ALTER TABLE recruits ADD COLUMN standing_stage TEXT;
UPDATE recruits SET (standing_move_id, standing_stage) = (
    SELECT m.id, m.stage FROM recruit_moves m
    WHERE m.recruit_id = recruits.id AND m.undone_at IS NULL AND m.failed = 0
    ORDER BY m.id DESC LIMIT 1
);
CREATE INDEX recruits_standing ON recruits(standing_stage)
