-- Who holds a role in a unit ("the secretaries of this cell", a cell's first secretary for the
-- standing): without it every such query scans the whole table.

CREATE INDEX user_roles_unit ON user_roles(unit_id, role)
