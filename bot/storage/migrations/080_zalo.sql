-- Zalo events already handled, by (event name, message id): Zalo has no update ids and a
-- webhook may deliver an event twice, so this survives a restart. Pruned after some weeks.
CREATE TABLE zalo_events (
    event_name TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (event_name, message_id)
);
CREATE INDEX zalo_events_age ON zalo_events(received_at);

-- Messages the bot sent over Zalo per month, in the bot's time zone: the free plan allows
-- 3 000 a month, and going over it silences the bot until the month ends.
CREATE TABLE zalo_sent (
    month TEXT PRIMARY KEY,
    messages INTEGER NOT NULL CHECK (messages >= 0)
)
