-- A conversation's row outlives the conversation (its draft emptied when it ends), so that:
-- every write is conditional on the version it was computed from (a second writer, another
-- process or a webhook handled twice, is refused); an update delivered again is known by
-- its platform id (last_update, Telegram's growing update_id); and a Save arriving again
-- for a conversation already saved is answered "already saved" (ended = 'saved').
ALTER TABLE conversations ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_update INTEGER;
-- NULL while open; 'saved', 'closed' (cancelled, finished, dropped) or 'expired' (the draft
-- was dropped unanswered for the rulebook's draft_days: the user is told at their next message)
ALTER TABLE conversations ADD COLUMN ended TEXT;
CREATE INDEX conversations_open_age ON conversations(updated_at) WHERE ended IS NULL
