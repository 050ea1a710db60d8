-- How often the alarms raised on a UTC day in a division have changed (storage/events.py adds
-- one per event stored, keyed by the day its alarm was raised). A report's alarm figures
-- depend only on the alarms raised in its period, so a report computed when these counters
-- summed to N over its days and divisions is still right while they still sum to N
-- (storage/report_cache.py): a monthly report over 1 M alarms is computed once, not per view.
-- Counters only grow; rows start when the first event after this migration arrives (a cache
-- starts empty with each process, so earlier events need no backfill).
CREATE TABLE report_touches (
    day      date   NOT NULL,
    division text   NOT NULL,
    touched  bigint NOT NULL,
    PRIMARY KEY (day, division)
);

