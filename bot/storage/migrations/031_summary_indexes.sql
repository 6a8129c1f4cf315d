-- Organisers' summaries at province scale: the few reports that carry a secretary's note are
-- found without reading every report of the period.

CREATE INDEX meeting_reports_noted ON meeting_reports(held_on) WHERE note IS NOT NULL
