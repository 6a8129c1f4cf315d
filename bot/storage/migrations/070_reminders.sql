-- Scheduled reminders (issue 14): the ledger that sends each reminder once, each person's
-- choice of reminders, the rounds run, and the chats that refused the bot's messages.

-- One row per reminder, keyed by (kind, recipient, subject, period): claimed before it is sent,
-- marked sent after. A claim whose send failed ('failed'), or whose process died before it
-- could tell (a 'claimed' row left old), is taken again by a later round. A sent one never is.
CREATE TABLE reminder_ledger (
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    claimed_by TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    PRIMARY KEY (kind, user_id, subject, period)
);

-- /nhacnho: a person without a row takes every reminder.
CREATE TABLE reminder_settings (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    reminders INTEGER NOT NULL CHECK (reminders IN (0, 1)),
    digest INTEGER NOT NULL CHECK (digest IN (0, 1)),
    updated_at TEXT NOT NULL
);

-- Each round run, with its counts: the scheduler runs a day's round once (by_hand = 0).
CREATE TABLE reminder_rounds (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    by_hand INTEGER NOT NULL CHECK (by_hand IN (0, 1)),
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    people INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    unreachable INTEGER NOT NULL,
    deferred INTEGER NOT NULL
);
CREATE INDEX reminder_rounds_day ON reminder_rounds(day, by_hand);

-- The chat the bot writes to (the one used last) refused a message since then (the user
-- blocked the bot): reminders skip them until they write again, which clears it.
ALTER TABLE users ADD COLUMN unreachable_since TEXT;

-- The language the user's app reported when they last wrote ('vi', 'en'), for the messages
-- the bot starts when they have not chosen one with /ngonngu.
ALTER TABLE users ADD COLUMN app_locale TEXT
