-- When the update id in last_update was applied (issue 16): an update that changes no
-- conversation (a command answered at once, /tonghop) is kept too, so that its redelivery is
-- not applied again, without making an unfinished draft look touched (updated_at).
ALTER TABLE conversations ADD COLUMN update_at TEXT
