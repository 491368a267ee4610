-- libdurable schema at the latest version (9), for new files.
-- A brand-new file gets this script in one transaction instead of every
-- migration in turn: migrations 3 to 5 rebuild tables (ALTER TABLE RENAME
-- parses the whole schema again), which made opening a new database or
-- :memory: cost milliseconds. Existing files still migrate step by step.
-- Every statement is the text the migrations leave in sqlite_master, so a
-- new file and a migrated one have the same schema, byte for byte
-- (tests/test_store_open.c checks it). A new migration NNN_x.sql must be
-- reflected here in the same commit. Column meanings: schema/README.md.

PRAGMA application_id = 1146442306; -- 0x44555242, "DURB": marks a libdurable file

-- The idem_ columns (migration 8) are the ClientToken idempotency record of the
-- execution's last accepted checkpoint; ALTER TABLE ADD COLUMN placed them on
-- the invocation_deadline_ms line.
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
    invocation_deadline_ms INTEGER, idem_client_token TEXT, idem_inbound_token TEXT, idem_response TEXT,                   -- in-flight invocation times out (Sandbox.Timedout)
    UNIQUE (function_name, qualifier, execution_name)
);
CREATE INDEX executions_by_function ON executions(function_name, start_ms);
CREATE INDEX executions_deadline ON executions(deadline_ms) WHERE deadline_ms IS NOT NULL;
CREATE INDEX executions_retry ON executions(retry_invocation_ms) WHERE retry_invocation_ms IS NOT NULL;
CREATE INDEX executions_needing ON executions(needs_invocation) WHERE status = 'RUNNING';
CREATE INDEX executions_invocation_deadline ON executions(invocation_deadline_ms)
    WHERE invocation_deadline_ms IS NOT NULL;
CREATE INDEX executions_by_start ON executions(start_ms);

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
CREATE INDEX operations_timer ON operations(timer_ms) WHERE timer_ms IS NOT NULL;
CREATE INDEX operations_timer_by_execution ON operations(execution_id, timer_ms)
    WHERE timer_ms IS NOT NULL;
CREATE INDEX operations_undelivered ON operations(execution_id) WHERE undelivered = 1;
CREATE INDEX operations_contexts ON operations(execution_id) WHERE type = 'CONTEXT';
CREATE INDEX operations_pending ON operations(execution_id)
    WHERE (type = 'STEP' AND status = 'PENDING')
       OR ((type = 'WAIT' OR type = 'CALLBACK' OR type = 'CHAINED_INVOKE') AND status = 'STARTED');

CREATE TABLE callbacks (
    callback_id            TEXT PRIMARY KEY,
    execution_id           INTEGER NOT NULL,
    op_id                  TEXT NOT NULL,
    timeout_seconds        INTEGER NOT NULL DEFAULT 0,
    heartbeat_seconds      INTEGER NOT NULL DEFAULT 0,
    timeout_deadline_ms    INTEGER,                    -- NULL = disarmed
    heartbeat_deadline_ms  INTEGER,                    -- NULL = disarmed
    last_heartbeat_ms      INTEGER,
    completed_ms           INTEGER,
    FOREIGN KEY (execution_id, op_id) REFERENCES operations(execution_id, op_id) ON DELETE CASCADE
);
CREATE INDEX callbacks_by_op ON callbacks(execution_id, op_id);
CREATE INDEX callbacks_timeout_timer ON callbacks(timeout_deadline_ms)
    WHERE timeout_deadline_ms IS NOT NULL;
CREATE INDEX callbacks_heartbeat_timer ON callbacks(heartbeat_deadline_ms)
    WHERE heartbeat_deadline_ms IS NOT NULL;

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
CREATE INDEX chained_invokes_by_state ON chained_invokes(state);

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

CREATE TABLE function_logs (
    id             INTEGER PRIMARY KEY,
    function_name  TEXT NOT NULL,
    execution_id   INTEGER REFERENCES executions(id) ON DELETE CASCADE, -- NULL: between invocations
    invocation_id  TEXT,                                 -- RequestId; NULL between invocations
    stream         TEXT NOT NULL CHECK (stream = 'stdout' OR stream = 'stderr'),
    timestamp_ms   INTEGER NOT NULL,
    line           TEXT NOT NULL
);
CREATE INDEX function_logs_by_execution ON function_logs(execution_id, id)
    WHERE execution_id IS NOT NULL;
CREATE INDEX function_logs_by_function ON function_logs(function_name, timestamp_ms);

CREATE VIEW function_logs_view AS
SELECT l.function_name, e.arn, l.invocation_id, l.stream,
       strftime('%Y-%m-%dT%H:%M:%fZ', l.timestamp_ms / 1000.0, 'unixepoch') AS at,
       l.timestamp_ms, l.line
FROM function_logs l LEFT JOIN executions e ON e.id = l.execution_id;
