-- The day a cell's roll was last set as a whole: by an org import (the administrator's counts)
-- or by the secretary's correction at a report. A recruitment step dated before that day is
-- already counted in the roll and does not move it again. NULL: not known (steps move it).
ALTER TABLE org_units ADD COLUMN roll_set_on TEXT;
UPDATE org_units SET roll_set_on = (
    SELECT MAX(c.on_date) FROM roll_changes c WHERE c.cell_id = org_units.id AND c.source = 'IMPORT'
) WHERE kind = 'cell'
