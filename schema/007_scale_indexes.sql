-- libdurable schema, version 7: indexes for files of millions of executions
-- (issue 16, tools/bench/bench_scale.c).
--
-- Listing executions in start order without a function (`durable executions`,
-- ListDurableExecutions of every function) read the whole table and sorted it:
-- executions_by_start gives that order. executions_by_status (status,
-- start_ms) served no query (a status filter is a set, matched row by row),
-- yet every start and every close of an execution wrote it: it goes.
--
-- A runner sharing its file fires and awaits the timers of its own
-- executions only; through operations_timer (timer_ms) it read every armed
-- timer of the file due before its own. operations_timer_by_execution finds
-- one execution's armed timers directly; like operations_timer it holds
-- armed timers only, so a step that starts and ends in one checkpoint
-- touches neither.

DROP INDEX executions_by_status;
CREATE INDEX executions_by_start ON executions(start_ms);
CREATE INDEX operations_timer_by_execution ON operations(execution_id, timer_ms)
    WHERE timer_ms IS NOT NULL;
