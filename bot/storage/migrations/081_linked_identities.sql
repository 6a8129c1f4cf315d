-- A person's chat on another channel (Zalo beside Telegram): it resolves to their account,
-- so both share one set of roles and one open conversation. A chat is linked at most once.
CREATE TABLE user_links (
    channel TEXT NOT NULL,
    user_key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (channel, user_key)
);
CREATE INDEX user_links_user ON user_links(user_id);

-- One-time codes given on one channel and typed on the other; only a hash is kept.
CREATE TABLE link_codes (
    code_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- The chat a user wrote from last (NULL: their own): messages the bot starts go there.
ALTER TABLE users ADD COLUMN last_channel TEXT;
ALTER TABLE users ADD COLUMN last_user_key TEXT
