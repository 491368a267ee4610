-- libdurable schema, version 5: the remaining enum CHECKs as OR chains.
-- Migration 3 did this for operations; executions.status,
-- invocations.outcome and chained_invokes.state still used `IN (...)`
-- lists of more than two values, for which SQLite builds a temporary
-- b-tree on every statement run that writes the column: closing an
-- invocation (outcome) and saving an execution's status paid for one each,
-- several times per invocation. `x = 'A' OR x = 'B' ...` accepts exactly
-- the same values. The three tables are rebuilt (same columns, keys,
-- defaults and foreign keys; the migration runs with foreign keys off and
-- checks them before it commits, see store/migrate.c), and the indexes,
-- views and the history trigger on executions are created again unchanged.
-- legacy_alter_table keeps each RENAME from rewriting the foreign keys that
-- other tables declare, which must go on naming the rebuilt tables.

DROP VIEW executions_view;
DROP VIEW operations_view;
DROP VIEW history_view;
DROP TRIGGER history_events_cascade;

DROP INDEX executions_by_function;
DROP INDEX executions_by_status;
DROP INDEX executions_deadline;
DROP INDEX executions_retry;
DROP INDEX executions_needing;
DROP INDEX executions_invocation_deadline;
DROP INDEX chained_invokes_by_state;

PRAGMA legacy_alter_table = ON;
ALTER TABLE executions RENAME TO executions_v4;
ALTER TABLE invocations RENAME TO invocations_v4;
ALTER TABLE chained_invokes RENAME TO chained_invokes_v4;
PRAGMA legacy_alter_table = OFF;

CREATE TABLE executions (
    id                    INTEGER PRIMARY KEY,
    arn                   TEXT NOT NULL UNIQUE,
    op_id                 TEXT NOT NULL,              -- EXECUTION operation id = last ARN segment
    function_name         TEXT NOT NULL,
    qualifier             TEXT NOT NULL DEFAULT '$LATEST',
    execution_name        TEXT NOT NULL,
    status                TEXT NOT NULL DEFAULT 'RUNNING'
                          CHECK (status = 'RUNNING' OR status = 'SUCCEEDED' OR
                                 status = 'FAILED' OR status = 'TIMED_OUT' OR
                                 status = 'STOPPED'),
    input_payload         TEXT,
    result                TEXT,
    error                 TEXT,                       -- ErrorObject JSON
    start_ms              INTEGER NOT NULL,
    end_ms                INTEGER,
    timeout_seconds       INTEGER NOT NULL,
    deadline_ms           INTEGER,                    -- start + timeout; NULL once closed
    tenant_id             TEXT,
    parent_execution_id   INTEGER REFERENCES executions(id),  -- set for chained-invoke targets
    parent_op_id          TEXT,
    -- engine bookkeeping (SPEC §7, §8)
    token_seq             INTEGER NOT NULL DEFAULT 0,
    inflight_invocation   TEXT,                       -- invocation id in flight, NULL when idle
    needs_invocation      INTEGER NOT NULL DEFAULT 1, -- a trigger is waiting for an invocation
    change_seq            INTEGER NOT NULL DEFAULT 0, -- per-execution change counter
    delivered_seq         INTEGER NOT NULL DEFAULT 0, -- delivered-watermark
    last_event_id         INTEGER NOT NULL DEFAULT 0,
    last_start_seq        INTEGER NOT NULL DEFAULT 0,
    terminal_pending      INTEGER NOT NULL DEFAULT 0, -- closed by an EXECUTION update; event deferred
    failed_invocations    INTEGER NOT NULL DEFAULT 0, -- consecutive invocation errors
    retry_invocation_ms   INTEGER,                    -- invocation-error backoff deadline
    invocation_deadline_ms INTEGER,                   -- in-flight invocation times out (Sandbox.Timedout)
    UNIQUE (function_name, qualifier, execution_name)
);
INSERT INTO executions SELECT * FROM executions_v4;
DROP TABLE executions_v4;

CREATE TABLE invocations (
    id              INTEGER PRIMARY KEY,
    execution_id    INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    invocation_id   TEXT NOT NULL UNIQUE,              -- RequestId in history
    seq             INTEGER NOT NULL,                  -- 1, 2, … per execution
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER,
    outcome         TEXT CHECK (outcome = 'SUCCEEDED' OR outcome = 'FAILED' OR
                                outcome = 'PENDING' OR outcome = 'ERROR' OR
                                outcome = 'STOPPED'),
    error           TEXT,                              -- invocation error ErrorObject JSON
    pid             INTEGER,                           -- process that ran it (crash detection)
    UNIQUE (execution_id, seq)
);
INSERT INTO invocations SELECT * FROM invocations_v4;
DROP TABLE invocations_v4;

CREATE TABLE chained_invokes (
    execution_id        INTEGER NOT NULL,
    op_id               TEXT NOT NULL,
    function_name       TEXT NOT NULL,                 -- exactly as the caller gave it
    resolved_function   TEXT NOT NULL,                 -- bare function name parsed from it
    qualifier           TEXT NOT NULL DEFAULT '$LATEST',
    tenant_id           TEXT,
    input_payload       TEXT,
    executed_version    TEXT NOT NULL DEFAULT '$LATEST',
    child_arn           TEXT NOT NULL,
    child_execution_id  INTEGER REFERENCES executions(id),
    state               TEXT NOT NULL DEFAULT 'WAITING'
                        CHECK (state = 'WAITING' OR state = 'RUNNING' OR state = 'DONE'),
    PRIMARY KEY (execution_id, op_id),
    FOREIGN KEY (execution_id, op_id) REFERENCES operations(execution_id, op_id) ON DELETE CASCADE
);
INSERT INTO chained_invokes SELECT * FROM chained_invokes_v4;
DROP TABLE chained_invokes_v4;

CREATE INDEX executions_by_function ON executions(function_name, start_ms);
CREATE INDEX executions_by_status ON executions(status, start_ms);
CREATE INDEX executions_deadline ON executions(deadline_ms) WHERE deadline_ms IS NOT NULL;
CREATE INDEX executions_retry ON executions(retry_invocation_ms) WHERE retry_invocation_ms IS NOT NULL;
CREATE INDEX executions_needing ON executions(needs_invocation) WHERE status = 'RUNNING';
CREATE INDEX executions_invocation_deadline ON executions(invocation_deadline_ms)
    WHERE invocation_deadline_ms IS NOT NULL;
CREATE INDEX chained_invokes_by_state ON chained_invokes(state);

CREATE TRIGGER history_events_cascade AFTER DELETE ON executions BEGIN
    DELETE FROM history_events
    WHERE id BETWEEN old.id * 4294967296 AND old.id * 4294967296 + 4294967295;
END;

CREATE VIEW executions_view AS
SELECT e.arn, e.function_name, e.execution_name, e.status,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.start_ms / 1000.0, 'unixepoch') AS started_at,
       CASE WHEN e.end_ms IS NOT NULL
            THEN strftime('%Y-%m-%dT%H:%M:%fZ', e.end_ms / 1000.0, 'unixepoch') END AS ended_at,
       e.end_ms - e.start_ms AS duration_ms,
       (SELECT count(*) FROM invocations i WHERE i.execution_id = e.id) AS invocations,
       (SELECT count(*) FROM operations o WHERE o.execution_id = e.id) AS operations,
       e.input_payload, e.result, e.error
FROM executions e;

CREATE VIEW operations_view AS
SELECT e.arn, o.op_id, o.parent_id, o.name, o.type, o.subtype, o.status, o.attempt,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.start_ms / 1000.0, 'unixepoch') AS started_at,
       CASE WHEN o.end_ms IS NOT NULL
            THEN strftime('%Y-%m-%dT%H:%M:%fZ', o.end_ms / 1000.0, 'unixepoch') END AS ended_at,
       o.end_ms - o.start_ms AS duration_ms,
       o.result, o.error, o.start_seq
FROM operations o JOIN executions e ON e.id = o.execution_id;

CREATE VIEW history_view AS
SELECT e.arn, h.event_id, h.event_type,
       strftime('%Y-%m-%dT%H:%M:%fZ', h.timestamp_ms / 1000.0, 'unixepoch') AS at,
       h.op_id, h.name, h.subtype, h.parent_id, h.details
FROM history_events h JOIN executions e
     ON h.id BETWEEN e.id * 4294967296 AND e.id * 4294967296 + 4294967295
    AND h.execution_id = e.id;
