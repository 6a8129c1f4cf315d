-- The summaries' sums by month first, then cell: a province's month is one run of rows, and a
-- year's months are looked up month by month near each other. And each cell's year in one row
-- (with its thematic meetings per quarter): a province's year is a row per cell, not twelve.
-- Both are kept by the one trigger of migration 110, made anew here; the next sync rebuilds
-- them (this clears what they were judged with).

DROP TRIGGER sums_change;
DROP TABLE cell_month_sums;

CREATE TABLE cell_month_sums (
    month TEXT NOT NULL,  -- 'YYYY-MM' of held_on (the regular report's regular_month)
    cell_id INTEGER NOT NULL,
    regular INTEGER NOT NULL,  -- the month's regular report: 0 or 1
    on_time INTEGER NOT NULL,  -- of those, received by the month's deadline
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
    PRIMARY KEY (month, cell_id)
) WITHOUT ROWID;

CREATE TABLE cell_year_sums (
    year TEXT NOT NULL,  -- 'YYYY'
    cell_id INTEGER NOT NULL,
    regular INTEGER NOT NULL,  -- the months with their regular report
    on_time INTEGER NOT NULL,  -- of those, received by the month's deadline
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
    thematic_q1 INTEGER NOT NULL,  -- thematic meetings in quarter 1
    thematic_q2 INTEGER NOT NULL,
    thematic_q3 INTEGER NOT NULL,
    thematic_q4 INTEGER NOT NULL,
    PRIMARY KEY (year, cell_id)
) WITHOUT ROWID;

-- A report's judgement added to its month's and its year's sums (sign 1) or taken away (sign
-- -1); a month or year left with no meeting has no row, as a rebuild gives.
CREATE TRIGGER sums_change INSTEAD OF INSERT ON sums_changes BEGIN
    INSERT INTO cell_month_sums
    SELECT month, cell_id, NEW.sign * regular, NEW.sign * on_time, NEW.sign * meetings,
        NEW.sign * present, NEW.sign * expected, NEW.sign * attendance_judged,
        NEW.sign * met_attendance, NEW.sign * with_unexcused, NEW.sign * too_short,
        NEW.sign * resolutions, NEW.sign * disseminated_to_all, NEW.sign * with_tasks,
        NEW.sign * previous_tasks_done, NEW.sign * previous_tasks_total, NEW.sign * thematic
    FROM judged_meetings WHERE id = NEW.report_id
    ON CONFLICT (month, cell_id) DO UPDATE SET
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
    INSERT INTO cell_year_sums
    SELECT substr(month, 1, 4), cell_id, NEW.sign * regular, NEW.sign * on_time,
        NEW.sign * meetings, NEW.sign * present, NEW.sign * expected,
        NEW.sign * attendance_judged, NEW.sign * met_attendance, NEW.sign * with_unexcused,
        NEW.sign * too_short, NEW.sign * resolutions, NEW.sign * disseminated_to_all,
        NEW.sign * with_tasks, NEW.sign * previous_tasks_done, NEW.sign * previous_tasks_total,
        NEW.sign * thematic * (substr(month, 6, 2) BETWEEN '01' AND '03'),
        NEW.sign * thematic * (substr(month, 6, 2) BETWEEN '04' AND '06'),
        NEW.sign * thematic * (substr(month, 6, 2) BETWEEN '07' AND '09'),
        NEW.sign * thematic * (substr(month, 6, 2) BETWEEN '10' AND '12')
    FROM judged_meetings WHERE id = NEW.report_id
    ON CONFLICT (year, cell_id) DO UPDATE SET
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
        thematic_q1 = thematic_q1 + excluded.thematic_q1,
        thematic_q2 = thematic_q2 + excluded.thematic_q2,
        thematic_q3 = thematic_q3 + excluded.thematic_q3,
        thematic_q4 = thematic_q4 + excluded.thematic_q4;
    DELETE FROM cell_month_sums WHERE NEW.sign < 0 AND meetings = 0
        AND (month, cell_id) = (SELECT month, cell_id FROM judged_meetings
                                WHERE id = NEW.report_id);
    DELETE FROM cell_year_sums WHERE NEW.sign < 0 AND meetings = 0
        AND (year, cell_id) = (SELECT substr(month, 1, 4), cell_id FROM judged_meetings
                               WHERE id = NEW.report_id);
END;

DELETE FROM sums_judged;
