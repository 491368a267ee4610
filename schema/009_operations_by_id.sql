-- libdurable schema, version 9: operations keyed by (execution_id, op_id)
-- alone (issue 16 item 2).
--
-- The table was keyed by (execution_id, start_seq) with a UNIQUE
-- (execution_id, op_id) beside it: two b-trees for every operation a
-- checkpoint creates, plus the execution's row and its history. Every
-- operation is found by its id (updates, callbacks, chained invokes, the
-- checkpoint validator), and the readers that want start order (the state
-- read, its pages, the undelivered ids) read one execution's rows, so they
-- sort them by start_seq instead of scanning a start-order key. One b-tree
-- fewer cut a one-step checkpoint from 5.13 to 3.85 WAL pages
-- (tools/bench/bench_engine.c). The rebuild follows migration 3: foreign
-- keys are off during migrations and checked before the commit;
-- legacy_alter_table keeps the RENAME from rewriting the foreign keys of
-- callbacks and chained_invokes, which must go on naming `operations`.
-- Columns, indexes and views are unchanged.

DROP VIEW executions_view;
DROP VIEW operations_view;

DROP INDEX operations_timer;
DROP INDEX operations_timer_by_execution;
DROP INDEX operations_undelivered;
DROP INDEX operations_contexts;
DROP INDEX operations_pending;
PRAGMA legacy_alter_table = ON;
ALTER TABLE operations RENAME TO operations_v8;
PRAGMA legacy_alter_table = OFF;

CREATE TABLE operations (
    execution_id     INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    op_id            TEXT NOT NULL,
    start_seq        INTEGER NOT NULL,                 -- order of creation (SPEC §7.4)
    parent_id        TEXT,
    name             TEXT,
    type             TEXT NOT NULL
                     CHECK (type = 'EXECUTION' OR type = 'CONTEXT' OR type = 'STEP' OR
                            type = 'WAIT' OR type = 'CALLBACK' OR type = 'CHAINED_INVOKE'),
    subtype          TEXT,
    status           TEXT NOT NULL
                     CHECK (status = 'STARTED' OR status = 'PENDING' OR status = 'READY' OR
                            status = 'SUCCEEDED' OR status = 'FAILED' OR status = 'CANCELLED' OR
                            status = 'TIMED_OUT' OR status = 'STOPPED'),
    start_ms         INTEGER NOT NULL,
    end_ms           INTEGER,
    input_payload    TEXT,                             -- EXECUTION
    replay_children  INTEGER,                          -- CONTEXT; NULL = absent
    attempt          INTEGER,                          -- STEP: attempts ended; NULL = 0
    next_attempt_ms  INTEGER,                          -- STEP: NextAttemptTimestamp
    wait_seconds     INTEGER,                          -- WAIT
    scheduled_end_ms INTEGER,                          -- WAIT: ScheduledEndTimestamp
    timer_ms         INTEGER,                          -- armed timer (wait end, retry); NULL = disarmed
    callback_id      TEXT,                             -- CALLBACK
    result           TEXT,
    error            TEXT,                             -- ErrorObject JSON
    last_changed_seq INTEGER NOT NULL,                 -- executions.change_seq at last change
    undelivered      INTEGER NOT NULL DEFAULT 0,       -- engine change not yet seen by a handler
    -- Keyed by id: a new step writes this one b-tree, not a start-order key and
    -- an id key (schema/009_operations_by_id.sql). Start order is sorted on read.
    PRIMARY KEY (execution_id, op_id)
) WITHOUT ROWID;
INSERT INTO operations SELECT * FROM operations_v8;
DROP TABLE operations_v8;

CREATE INDEX operations_timer ON operations(timer_ms) WHERE timer_ms IS NOT NULL;
CREATE INDEX operations_timer_by_execution ON operations(execution_id, timer_ms)
    WHERE timer_ms IS NOT NULL;
CREATE INDEX operations_undelivered ON operations(execution_id) WHERE undelivered = 1;
CREATE INDEX operations_contexts ON operations(execution_id) WHERE type = 'CONTEXT';
CREATE INDEX operations_pending ON operations(execution_id)
    WHERE (type = 'STEP' AND status = 'PENDING')
       OR ((type = 'WAIT' OR type = 'CALLBACK' OR type = 'CHAINED_INVOKE') AND status = 'STARTED');

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
