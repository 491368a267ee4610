-- libdurable schema, version 2: fewer index pages written per checkpoint.
-- Every index an ordinary write touches costs a page in the WAL at commit,
-- so operations keep only the indexes a query needs, and those that only
-- matter for a few rows are partial (a STEP that starts and succeeds
-- touches the table and its (execution_id, op_id) key, nothing else).

-- No query reads the children of a context by parent.
DROP INDEX operations_by_parent;
-- Deltas come from the operations the checkpoint itself wrote plus the
-- undelivered index (engine changes); the state cache scans the
-- execution's range of the primary key.
DROP INDEX operations_by_change;
-- Replaced by the two partial indexes below, the only uses it had.
DROP INDEX operations_by_type;

-- Contexts of an execution, in start order (state pruning).
CREATE INDEX operations_contexts ON operations(execution_id) WHERE type = 'CONTEXT';
-- Operations that keep an execution suspended (a PENDING output is valid).
CREATE INDEX operations_pending ON operations(execution_id)
    WHERE (type = 'STEP' AND status = 'PENDING')
       OR (type IN ('WAIT', 'CALLBACK', 'CHAINED_INVOKE') AND status = 'STARTED');
