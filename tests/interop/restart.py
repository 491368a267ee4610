"""`durable serve` killed with SIGKILL mid-run and started again on the same
file: every RUNNING execution carries on, nothing is lost, and each step body
runs once (its side effects are counted outside the file). Real time: the
waits between the steps are where the kills land."""
import os
import sys
import tempfile
import time

from serve import HERE, Checks, Server, python_function, wait_for

RUNS = 3


def main():
    t = Checks("interop-restart")
    work = tempfile.mkdtemp(prefix="durable-restart-")
    db = os.path.join(work, "restart.db")
    sides = [os.path.join(work, "side-%d.txt" % i) for i in range(RUNS)]
    functions = {"Restartable%d" % i: python_function(
        "restart_steps.handler", {"SIDE_EFFECTS": sides[i],
                                  "PYTHONPATH": os.path.join(HERE, "handlers") + os.pathsep +
                                  python_function("x")["Environment"]["PYTHONPATH"]})
        for i in range(RUNS)}
    srv = Server(functions, skip_time=False, db=db,
                 extra_args=["--retry-backoff", "200"]).start()
    c = srv.client()
    arns = [c.invoke(FunctionName="Restartable%d" % i, InvocationType="Event",
                     Payload=b"{}")["DurableExecutionArn"] for i in range(RUNS)]

    def waits_started(arn, n):
        ev = c.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        return sum(e["EventType"] == "WaitStarted" for e in ev) >= n

    for cycle in (1, 2):
        t.check(wait_for(lambda: all(waits_started(a, cycle) for a in arns), timeout=90),
                "cycle %d: every execution reached wait %d" % (cycle, cycle))
        srv.kill()  # no cleanup, no chance to answer anything
        srv = Server(functions, skip_time=False, db=db, port=srv.port,
                     extra_args=["--retry-backoff", "200"]).start()
        c = srv.client()
    done = wait_for(lambda: all(c.get_durable_execution(DurableExecutionArn=a)["Status"] !=
                                "RUNNING" for a in arns), timeout=120)
    t.check(done, "every execution finished after two kills")
    for i, arn in enumerate(arns):
        x = c.get_durable_execution(DurableExecutionArn=arn)
        t.eq(x["Status"], "SUCCEEDED", "execution %d status" % i)
        t.eq(x.get("Result"), '["first", "second", "third"]', "execution %d result" % i)
        with open(sides[i]) as f:
            ran = f.read().split()
        t.eq(ran, ["first", "second", "third"], "execution %d: each step body ran once" % i)
        ev = c.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        t.eq([e["EventId"] for e in ev], list(range(1, len(ev) + 1)), "EventIds consecutive")
        t.eq(sum(e["EventType"] == "StepSucceeded" for e in ev), 3, "three StepSucceeded")
    srv.stop()
    import sqlite3
    con = sqlite3.connect(db)
    t.eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity_check")
    con.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
