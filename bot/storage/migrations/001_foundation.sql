-- Foundation: the org tree, users with roles bound to units, invites, conversations.

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES org_units(id),
    kind TEXT NOT NULL CHECK (kind IN ('unit', 'cell')),
    name TEXT NOT NULL,
    code TEXT UNIQUE,
    full_members INTEGER NOT NULL DEFAULT 0 CHECK (full_members >= 0),
    probationary_members INTEGER NOT NULL DEFAULT 0 CHECK (probationary_members >= 0),
    exempt_members INTEGER NOT NULL DEFAULT 0 CHECK (exempt_members >= 0),
    UNIQUE (parent_id, name)
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    user_key TEXT NOT NULL,
    locale TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (channel, user_key)
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('secretary', 'staff', 'admin')),
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role, unit_id)
);

-- Only a hash of each code is kept: a copy of the database does not leak usable codes.
CREATE TABLE invites (
    code_hash TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('secretary', 'staff', 'admin')),
    unit_id INTEGER NOT NULL REFERENCES org_units(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by INTEGER REFERENCES users(id),
    used_at TEXT
);

-- Failed /start codes per chat identity, for rate limiting; pruned as they age out.
CREATE TABLE failed_starts (
    channel TEXT NOT NULL,
    user_key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX failed_starts_who ON failed_starts(channel, user_key, at);

-- The one open conversation of a user: flow, step and draft answers, written every step.
CREATE TABLE conversations (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    flow TEXT NOT NULL,
    step TEXT NOT NULL,
    draft TEXT NOT NULL,
    history TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
