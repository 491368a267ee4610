-- libdurable schema, version 8: the ClientToken idempotency record of an
-- execution lives in the execution's row (issue 16 item 2).
--
-- Every accepted checkpoint rewrites its execution's row (token sequence and
-- counters). The record of the last accepted checkpoint (SPEC §7.2), kept in
-- a table of its own, cost one more b-tree page on every checkpoint that
-- carries a ClientToken, and the SDK sends one with every checkpoint: 6.15
-- WAL pages per step instead of 5.13 (tools/bench/bench_engine.c). In the
-- execution's row it is written on the page the checkpoint writes anyway.
-- The columns are NULL until a checkpoint with a ClientToken is accepted,
-- and cleared by one without. Records of existing files move over.

ALTER TABLE executions ADD COLUMN idem_client_token TEXT;
ALTER TABLE executions ADD COLUMN idem_inbound_token TEXT;
ALTER TABLE executions ADD COLUMN idem_response TEXT;
UPDATE executions SET
    idem_client_token = (SELECT client_token FROM checkpoint_idempotency r WHERE r.execution_id = executions.id),
    idem_inbound_token = (SELECT inbound_token FROM checkpoint_idempotency r WHERE r.execution_id = executions.id),
    idem_response = (SELECT response FROM checkpoint_idempotency r WHERE r.execution_id = executions.id)
WHERE id IN (SELECT execution_id FROM checkpoint_idempotency);
DROP TABLE checkpoint_idempotency;
