-- Organisers' summaries (issue 10): when each cell entered the bot, when each report was first
-- received, and the secretaries' profile names for the list of cells that have not reported.

-- The day a cell entered the bot (its import): it is expected to report from that month on.
-- Cells already here get the earliest trace of them: their first meeting or the first grant
-- of a role on them (a UTC moment, taken on Vietnam's calendar day, UTC+7), else today.
ALTER TABLE org_units ADD COLUMN tracked_from TEXT;
UPDATE org_units SET tracked_from = COALESCE(
    (SELECT MIN(day) FROM (
        SELECT MIN(held_on) AS day FROM meeting_reports WHERE cell_id = org_units.id
        UNION ALL
        SELECT date(MIN(granted_at), '+7 hours') FROM user_roles
        WHERE unit_id = org_units.id
    ) AS traces),
    date('now', '+7 hours')
) WHERE kind = 'cell';

-- When a report first arrived: a later correction keeps the original time, so on-time stays
-- on time. A report replaced before keeps the time of its first version in the history.
ALTER TABLE meeting_reports ADD COLUMN received_at TEXT;
UPDATE meeting_reports SET received_at = COALESCE(
    (SELECT json_extract(h.old_values, '$.reported_at') FROM meeting_report_history h
     WHERE h.report_id = meeting_reports.id ORDER BY h.id LIMIT 1),
    reported_at
);

-- The name on the secretary's chat profile at registration, shown only to the organisers of
-- their cell in the list of cells that have not reported. Never logged.
ALTER TABLE users ADD COLUMN display_name TEXT;
