-- Each question asked gets an id of its own, carried by its buttons: a button of an earlier
-- asking of the same step (another person, another cell) is then told apart from an answer.

ALTER TABLE conversations ADD COLUMN question_id TEXT NOT NULL DEFAULT ''
