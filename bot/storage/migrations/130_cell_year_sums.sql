-- Organisers' summaries at province scale: each cell's month sums (migration 110) also added up
-- per calendar year, so a year's summary reads one row per cell instead of twelve. Kept by the
-- same trigger, in the same transaction, as the month sums; rebuilt with them
-- (bot/storage/sums.py).

-- The sums of each cell's meetings held in a year: cell_month_sums' columns added up, the
-- thematic meetings per quarter.
CREATE TABLE cell_year_sums (
    cell_id INTEGER NOT NULL,
    year TEXT NOT NULL,  -- 'YYYY' of held_on
    regular INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
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
    thematic_q1 INTEGER NOT NULL,
    thematic_q2 INTEGER NOT NULL,
    thematic_q3 INTEGER NOT NULL,
    thematic_q4 INTEGER NOT NULL,
    PRIMARY KEY (cell_id, year)
) WITHOUT ROWID;

INSERT INTO cell_year_sums
SELECT cell_id, substr(month, 1, 4), SUM(regular), SUM(on_time), SUM(meetings), SUM(present),
    SUM(expected), SUM(attendance_judged), SUM(met_attendance), SUM(with_unexcused),
    SUM(too_short), SUM(resolutions), SUM(disseminated_to_all), SUM(with_tasks),
    SUM(previous_tasks_done), SUM(previous_tasks_total),
    SUM(CASE WHEN substr(month, 6, 2) <= '03' THEN thematic ELSE 0 END),
    SUM(CASE WHEN substr(month, 6, 2) BETWEEN '04' AND '06' THEN thematic ELSE 0 END),
    SUM(CASE WHEN substr(month, 6, 2) BETWEEN '07' AND '09' THEN thematic ELSE 0 END),
    SUM(CASE WHEN substr(month, 6, 2) >= '10' THEN thematic ELSE 0 END)
FROM cell_month_sums GROUP BY cell_id, substr(month, 1, 4);

-- A report's judgement added to (sign 1) or taken away from (-1) its month's and its year's
-- sums; a month or year left with no meeting has no row, as a rebuild gives.
DROP TRIGGER sums_change;
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
    INSERT INTO cell_year_sums
    SELECT cell_id, substr(month, 1, 4), NEW.sign * regular, NEW.sign * on_time,
        NEW.sign * meetings, NEW.sign * present, NEW.sign * expected,
        NEW.sign * attendance_judged, NEW.sign * met_attendance, NEW.sign * with_unexcused,
        NEW.sign * too_short, NEW.sign * resolutions, NEW.sign * disseminated_to_all,
        NEW.sign * with_tasks, NEW.sign * previous_tasks_done, NEW.sign * previous_tasks_total,
        CASE WHEN substr(month, 6, 2) <= '03' THEN NEW.sign * thematic ELSE 0 END,
        CASE WHEN substr(month, 6, 2) BETWEEN '04' AND '06' THEN NEW.sign * thematic ELSE 0 END,
        CASE WHEN substr(month, 6, 2) BETWEEN '07' AND '09' THEN NEW.sign * thematic ELSE 0 END,
        CASE WHEN substr(month, 6, 2) >= '10' THEN NEW.sign * thematic ELSE 0 END
    FROM judged_meetings WHERE id = NEW.report_id
    ON CONFLICT (cell_id, year) DO UPDATE SET
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
        AND (cell_id, month) = (SELECT cell_id, month FROM judged_meetings
                                WHERE id = NEW.report_id);
    DELETE FROM cell_year_sums WHERE NEW.sign < 0 AND meetings = 0
        AND (cell_id, year) = (SELECT cell_id, substr(month, 1, 4) FROM judged_meetings
                               WHERE id = NEW.report_id);
END;
