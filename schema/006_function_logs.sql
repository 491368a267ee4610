-- libdurable schema, version 6: function log lines. `durable serve` runs
-- functions as processes and keeps every line they write to stdout and
-- stderr, tagged with the invocation that was running (the way a Lambda
-- user reads CloudWatch Logs), so `durable logs`, sqlite3 and the
-- conformance harness's FilterLogEvents read them from the file.

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
