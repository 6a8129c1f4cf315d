-- Wrong invite and linking codes counted over every chat together (issue 16): past the
-- rulebook's [policy] invite_guesses_per_hour, codes are refused for everyone for a while and
-- the administrators are warned, at most once an hour. A row here is such a warning, claimed
-- by the one process that sends it; it holds counts only, never who guessed.
CREATE INDEX failed_starts_at ON failed_starts(at);
CREATE TABLE guessing_alarms (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    failures INTEGER NOT NULL,
    chats INTEGER NOT NULL
);
CREATE INDEX guessing_alarms_at ON guessing_alarms(at)
