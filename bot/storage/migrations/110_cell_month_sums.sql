-- Organisers' summaries at province scale: each cell's meetings summed per calendar month as
-- they are written, so a summary adds plain integers instead of judging every meeting again.
-- Each meeting is judged by the rules of its own date (`sums_rules`) and its month's deadline
-- (`sums_deadlines`), which the bot writes from its rulebook and time zone (bot/storage/sums.py)
-- with their fingerprint (`sums_judged`); when these change, the sums are rebuilt. Triggers keep
-- the sums in the transaction of every write to meeting_reports, whatever wrote it.

-- The rules of one kind of meeting in one era (first to last day, inclusive).
CREATE TABLE sums_rules (
    kind TEXT NOT NULL,
    first TEXT NOT NULL,
    last TEXT NOT NULL,
    threshold_num INTEGER,  -- attendance meets the criterion above num/den (NULL: no criterion)
    threshold_den INTEGER,
    unexcused_fails INTEGER NOT NULL,  -- 1: an unexcused absence fails the criterion
    min_minutes INTEGER NOT NULL,  -- shorter is too short (0: no minimum)
    thematic INTEGER NOT NULL,  -- 1: the kind counts as the quarter's thematic meeting
    -- 1: "disseminated to all" needs this body
    to_hamlet_board INTEGER NOT NULL,
    to_fatherland_front INTEGER NOT NULL,
    to_womens_union INTEGER NOT NULL,
    to_farmers_union INTEGER NOT NULL,
    to_veterans INTEGER NOT NULL,
    to_youth_union INTEGER NOT NULL,
    PRIMARY KEY (kind, first)
) WITHOUT ROWID;

-- A month's regular report ('YYYY-MM') is on time if received before this moment (UTC text).
CREATE TABLE sums_deadlines (
    month TEXT PRIMARY KEY,
    deadline TEXT NOT NULL
) WITHOUT ROWID;

-- What the rules and deadlines above were written from (one row, none if never judged).
CREATE TABLE sums_judged (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

-- Each meeting judged, as 0/1 flags and counts: the one definition the sums are made of.
CREATE VIEW judged_meetings AS
SELECT r.id, r.cell_id, substr(r.held_on, 1, 7) AS month,
    (r.regular_month IS NOT NULL) AS regular,
    (r.regular_month IS NOT NULL AND COALESCE(r.received_at < d.deadline, 0)) AS on_time,
    1 AS meetings,
    r.present,
    r.expected,
    (e.threshold_den IS NOT NULL) AS attendance_judged,
    (e.threshold_den IS NOT NULL AND r.present * e.threshold_den > r.expected * e.threshold_num
        AND NOT (e.unexcused_fails = 1 AND r.expected - r.present - r.excused > 0))
        AS met_attendance,
    (r.expected - r.present - r.excused > 0) AS with_unexcused,
    (r.minutes < e.min_minutes) AS too_short,
    r.resolution_adopted AS resolutions,
    (r.resolution_adopted = 1 AND r.to_hamlet_board >= e.to_hamlet_board
        AND r.to_fatherland_front >= e.to_fatherland_front
        AND r.to_womens_union >= e.to_womens_union AND r.to_farmers_union >= e.to_farmers_union
        AND r.to_veterans >= e.to_veterans AND r.to_youth_union >= e.to_youth_union)
        AS disseminated_to_all,
    (r.resolution_adopted = 1 AND r.tasks > 0) AS with_tasks,
    COALESCE(r.previous_tasks_done, 0) AS previous_tasks_done,
    CASE WHEN r.previous_tasks_done IS NULL THEN 0 ELSE COALESCE(r.previous_tasks_total, 0) END
        AS previous_tasks_total,
    e.thematic
FROM meeting_reports r
JOIN sums_rules e ON e.kind = r.kind AND e.first <= r.held_on AND e.last >= r.held_on
LEFT JOIN sums_deadlines d ON d.month = r.regular_month;

-- The sums of each cell's meetings held in a month, as judged_meetings gives them.
CREATE TABLE cell_month_sums (
    cell_id INTEGER NOT NULL,
    month TEXT NOT NULL,  -- 'YYYY-MM' of held_on (the regular report's regular_month)
    regular INTEGER NOT NULL,  -- the month's regular report: 0 or 1
    on_time INTEGER NOT NULL,  -- it was received by the month's deadline
    meetings INTEGER NOT NULL,
    present INTEGER NOT NULL,
    expected INTEGER NOT NULL,
    attendance_judged INTEGER NOT NULL,
    met_attendance INTEGER NOT NULL,
    with_unexcused INTEGER NOT NULL,
    too_short INTEGER NOT NULL,
    resolutions INTEGER NOT NULL,
    disseminated_to_all INTEGER NOT NULL,
    with_tasks INTEGER NOT NULL,
    previous_tasks_done INTEGER NOT NULL,
    previous_tasks_total INTEGER NOT NULL,
    thematic INTEGER NOT NULL,
    PRIMARY KEY (cell_id, month)
) WITHOUT ROWID;
-- A month's thematic coverage looks back to its quarter's first months: the few months with a
-- thematic meeting are found by month, not among every cell's.
CREATE INDEX cell_month_sums_thematic ON cell_month_sums(month, cell_id) WHERE thematic > 0;

-- A report's judgement added to its month's sums (sign 1) or taken away (sign -1): inserting
-- (report_id, sign) here does it (a month left with no meeting has no row, as a rebuild gives).
CREATE VIEW sums_changes AS SELECT 0 AS report_id, 0 AS sign WHERE 0;
CREATE TRIGGER sums_change INSTEAD OF INSERT ON sums_changes BEGIN
    INSERT INTO cell_month_sums
    SELECT cell_id, month, NEW.sign * regular, NEW.sign * on_time, NEW.sign * meetings,
        NEW.sign * present, NEW.sign * expected, NEW.sign * attendance_judged,
        NEW.sign * met_attendance, NEW.sign * with_unexcused, NEW.sign * too_short,
        NEW.sign * resolutions, NEW.sign * disseminated_to_all, NEW.sign * with_tasks,
        NEW.sign * previous_tasks_done, NEW.sign * previous_tasks_total, NEW.sign * thematic
    FROM judged_meetings WHERE id = NEW.report_id
    ON CONFLICT (cell_id, month) DO UPDATE SET
        regular = regular + excluded.regular, on_time = on_time + excluded.on_time,
        meetings = meetings + excluded.meetings, present = present + excluded.present,
        expected = expected + excluded.expected,
        attendance_judged = attendance_judged + excluded.attendance_judged,
        met_attendance = met_attendance + excluded.met_attendance,
        with_unexcused = with_unexcused + excluded.with_unexcused,
        too_short = too_short + excluded.too_short,
        resolutions = resolutions + excluded.resolutions,
        disseminated_to_all = disseminated_to_all + excluded.disseminated_to_all,
        with_tasks = with_tasks + excluded.with_tasks,
        previous_tasks_done = previous_tasks_done + excluded.previous_tasks_done,
        previous_tasks_total = previous_tasks_total + excluded.previous_tasks_total,
        thematic = thematic + excluded.thematic;
    DELETE FROM cell_month_sums WHERE NEW.sign < 0 AND meetings = 0
        AND (cell_id, month) = (SELECT cell_id, month FROM judged_meetings
                                WHERE id = NEW.report_id);
END;

-- Every write to meeting_reports, in its own transaction: a report added after it is written,
-- taken away before it is deleted; a correction taken away before and added after (an update
-- of the note alone, or of who reported it, changes no sum).
CREATE TRIGGER meeting_reports_sums_insert AFTER INSERT ON meeting_reports BEGIN
    INSERT INTO sums_changes (report_id, sign) VALUES (NEW.id, 1);
END;
CREATE TRIGGER meeting_reports_sums_delete BEFORE DELETE ON meeting_reports BEGIN
    INSERT INTO sums_changes (report_id, sign) VALUES (OLD.id, -1);
END;
CREATE TRIGGER meeting_reports_sums_unsay BEFORE UPDATE OF
    cell_id, held_on, kind, regular_month, minutes, expected, present, excused,
    resolution_adopted, tasks, to_hamlet_board, to_fatherland_front, to_womens_union,
    to_farmers_union, to_veterans, to_youth_union, previous_tasks_done, previous_tasks_total,
    received_at ON meeting_reports BEGIN
    INSERT INTO sums_changes (report_id, sign) VALUES (OLD.id, -1);
END;
CREATE TRIGGER meeting_reports_sums_say AFTER UPDATE OF
    cell_id, held_on, kind, regular_month, minutes, expected, present, excused,
    resolution_adopted, tasks, to_hamlet_board, to_fatherland_front, to_womens_union,
    to_farmers_union, to_veterans, to_youth_union, previous_tasks_done, previous_tasks_total,
    received_at ON meeting_reports BEGIN
    INSERT INTO sums_changes (report_id, sign) VALUES (NEW.id, 1);
END;
