-- Recruitment (issue 9): an alias names one open record of a cell. open_alias holds the alias's
-- key (case and diacritics folded, bot.domain.pipeline.alias_key) while the record is open, and
-- NULL once it is closed (confirmed, removed, dropped) or withdrawn, so a closed alias may be
-- used again. The repository checks and inserts in one transaction; this index is the backstop.
ALTER TABLE recruits ADD COLUMN open_alias TEXT;

-- Earlier rows: SQL cannot fold diacritics, so lower() stands in (the repository's check folds
-- every open alias of the cell anyway). A record is open when its latest move in force is not
-- a closing one.
UPDATE recruits SET open_alias = lower(alias)
WHERE (
    SELECT m.stage FROM recruit_moves m
    WHERE m.recruit_id = recruits.id AND m.undone_at IS NULL AND m.failed = 0
    ORDER BY m.id DESC LIMIT 1
) NOT IN ('CONFIRMED', 'REMOVED_PROBATIONER', 'DROPPED');

-- Two open records that already shared an alias keep it; only the older one holds the key.
UPDATE recruits SET open_alias = NULL
WHERE open_alias IS NOT NULL AND id NOT IN (
    SELECT MIN(id) FROM recruits WHERE open_alias IS NOT NULL GROUP BY cell_id, open_alias
);

CREATE UNIQUE INDEX recruits_open_alias ON recruits(cell_id, open_alias);
