-- libdurable schema, version 4: history_events keyed by one integer,
-- id = execution_id * 4294967296 + event_id, so it is a rowid table.
-- History is append-only and an execution's events arrive in EventId
-- order, i.e. at the right edge of its id range. SQLite appends to a rowid
-- table by starting a new right-most page, but splits the right-most page
-- of a WITHOUT ROWID table by rebalancing it with its siblings: with the
-- old (execution_id, event_id) key a checkpoint wrote 2.1 history pages to
-- the WAL on average, now 1.2. An execution's history is one id range:
-- filter on `id BETWEEN x * 4294967296 AND x * 4294967296 + 4294967295`
-- (or use history_view), not on execution_id, which has no index.
-- Deleting an execution deletes its history through a trigger on that range
-- (a foreign key would scan the whole table to find the rows).

DROP VIEW history_view;
ALTER TABLE history_events RENAME TO history_events_v3;

CREATE TABLE history_events (
    id            INTEGER PRIMARY KEY,                 -- execution_id * 4294967296 + event_id
    execution_id  INTEGER NOT NULL,                    -- executions.id
    event_id      INTEGER NOT NULL                     -- 1, 2, 3, … per execution
                  CHECK (event_id BETWEEN 1 AND 4294967295),
    event_type    TEXT NOT NULL,
    timestamp_ms  INTEGER NOT NULL,
    op_id         TEXT,
    name          TEXT,
    subtype       TEXT,
    parent_id     TEXT,
    details       TEXT NOT NULL DEFAULT '{}',          -- <EventType>Details JSON, full payloads
    CHECK (id = execution_id * 4294967296 + event_id)
);
INSERT INTO history_events
SELECT execution_id * 4294967296 + event_id, execution_id, event_id, event_type, timestamp_ms,
       op_id, name, subtype, parent_id, details
FROM history_events_v3 ORDER BY execution_id, event_id;
DROP TABLE history_events_v3;

CREATE TRIGGER history_events_cascade AFTER DELETE ON executions BEGIN
    DELETE FROM history_events
    WHERE id BETWEEN old.id * 4294967296 AND old.id * 4294967296 + 4294967295;
END;

CREATE VIEW history_view AS
SELECT e.arn, h.event_id, h.event_type,
       strftime('%Y-%m-%dT%H:%M:%fZ', h.timestamp_ms / 1000.0, 'unixepoch') AS at,
       h.op_id, h.name, h.subtype, h.parent_id, h.details
FROM history_events h JOIN executions e
     ON h.id BETWEEN e.id * 4294967296 AND e.id * 4294967296 + 4294967295
    AND h.execution_id = e.id;
