-- The district's meeting fields (issue 8, DOMAIN.md §4.1): the four mass organisations one by
-- one instead of one box, last month's tasks done out of total, and an upper-level guest.
-- A report that passed its resolution on to "the mass organisations" passed it on to each.

ALTER TABLE meeting_reports ADD COLUMN to_womens_union INTEGER NOT NULL DEFAULT 0
    CHECK (to_womens_union IN (0, 1));
ALTER TABLE meeting_reports ADD COLUMN to_farmers_union INTEGER NOT NULL DEFAULT 0
    CHECK (to_farmers_union IN (0, 1));
ALTER TABLE meeting_reports ADD COLUMN to_veterans INTEGER NOT NULL DEFAULT 0
    CHECK (to_veterans IN (0, 1));
ALTER TABLE meeting_reports ADD COLUMN to_youth_union INTEGER NOT NULL DEFAULT 0
    CHECK (to_youth_union IN (0, 1));
UPDATE meeting_reports SET to_womens_union = to_mass_orgs, to_farmers_union = to_mass_orgs,
    to_veterans = to_mass_orgs, to_youth_union = to_mass_orgs;
ALTER TABLE meeting_reports DROP COLUMN to_mass_orgs;

-- NULL: the secretary skipped the question (or the report predates it).
ALTER TABLE meeting_reports ADD COLUMN previous_tasks_done INTEGER
    CHECK (previous_tasks_done >= 0);
ALTER TABLE meeting_reports ADD COLUMN previous_tasks_total INTEGER
    CHECK (previous_tasks_total >= 0);
ALTER TABLE meeting_reports ADD COLUMN upper_guest INTEGER CHECK (upper_guest IN (0, 1));
