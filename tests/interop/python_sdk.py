"""The official Python SDK (unmodified, ../shared/interop/python-sdk) runs
its own conformance handlers as function processes of `durable serve` on the
Lambda Runtime API; boto3 invokes them. Each must end with its expected
result and the expected history event types in order."""
import json
import subprocess
import sys
import time

from serve import DURABLE, Checks, Server, python_function

TARGET = "arn:aws:lambda:us-west-2:123456789012:function:TargetEcho:$LATEST"
FUNCTIONS = {
    "WaitLong": python_function("wait.wait_long_duration.handler"),
    "StepRetry": python_function("step.step_default_retry.handler"),
    "ChildStepWait": python_function("child.child_step_and_wait.handler"),
    "ParallelBasic": python_function("parallel.parallel_basic.handler"),
    "MapBasic": python_function("map.map_basic.handler"),
    "InvokeBasic": python_function("invoke.invoke_basic.handler",
                                   {"TARGET_FUNCTION_NAME": TARGET}),
    "TargetEcho": python_function("invoke.target_echo.handler"),
}

# (function, input, expected status, expected result or None to skip,
#  the event types that must appear, in this order, as a subsequence)
CASES = [
    ("WaitLong", "{}", "SUCCEEDED", '"Wait with hours completed"',
     ["ExecutionStarted", "WaitStarted", "InvocationCompleted", "WaitSucceeded",
      "InvocationCompleted", "ExecutionSucceeded"]),
    ("StepRetry", "{}", "SUCCEEDED", '"recovered"',
     ["ExecutionStarted", "StepStarted", "StepFailed", "StepStarted", "StepFailed",
      "StepStarted", "StepSucceeded", "ExecutionSucceeded"]),
    ("ChildStepWait", "{}", "SUCCEEDED", None,
     ["ExecutionStarted", "ContextStarted", "StepStarted", "StepSucceeded", "WaitStarted",
      "WaitSucceeded", "ContextSucceeded", "ExecutionSucceeded"]),
    ("ParallelBasic", "{}", "SUCCEEDED", None,
     ["ExecutionStarted", "ContextStarted", "ContextSucceeded", "ExecutionSucceeded"]),
    ("MapBasic", "{}", "SUCCEEDED", None,
     ["ExecutionStarted", "ContextStarted", "ContextSucceeded", "ExecutionSucceeded"]),
    ("InvokeBasic", '{"hello":"world"}', "SUCCEEDED", None,
     ["ExecutionStarted", "ChainedInvokeStarted", "InvocationCompleted",
      "ChainedInvokeSucceeded", "InvocationCompleted", "ExecutionSucceeded"]),
]


def is_subsequence(want, got):
    it = iter(got)
    return all(any(w == g for g in it) for w in want)


def main():
    t = Checks("interop-python")
    with Server(FUNCTIONS) as srv:
        c = srv.client()
        for fn, payload, status, result, events in CASES:
            start = time.time()
            r = c.invoke(FunctionName=fn, Payload=payload.encode())
            body = r["Payload"].read().decode()
            arn = r.get("DurableExecutionArn", "")
            x = c.get_durable_execution(DurableExecutionArn=arn)
            h = c.get_durable_execution_history(DurableExecutionArn=arn,
                                                IncludeExecutionData=True)
            types = [e["EventType"] for e in h["Events"]]
            ok = t.eq(x["Status"], status, "%s status" % fn)
            if result is not None:
                ok &= t.eq(x.get("Result"), result, "%s result" % fn)
                ok &= t.eq(body, result, "%s Invoke payload" % fn)
            ok &= t.check(is_subsequence(events, types), "%s history" % fn,
                          "\n  want (in order) %s\n  got %s" % (events, types))
            ok &= t.eq(types[-1], "Execution" + status.title().replace("_", ""),
                       "%s terminal event last" % fn)
            ok &= t.eq([e["EventId"] for e in h["Events"]], list(range(1, len(types) + 1)),
                       "%s EventIds" % fn)
            print("%-14s %-9s %5.2fs  %d events" % (fn, x["Status"], time.time() - start,
                                                   len(types)), flush=True)
        # The echo target ran as its own durable execution of a registered function.
        tgt = c.list_durable_executions_by_function(FunctionName="TargetEcho")
        t.eq([e["Status"] for e in tgt["DurableExecutions"]], ["SUCCEEDED"],
             "chained invoke target ran once as a durable execution")
        inv = next(e for e in c.list_durable_executions_by_function(
            FunctionName="InvokeBasic")["DurableExecutions"])
        t.eq(json.loads(c.get_durable_execution(DurableExecutionArn=inv["DurableExecutionArn"])
                        ["Result"]), {"hello": "world"}, "chained invoke returns the echo")
        # What the function printed during an execution: `durable logs`.
        step_arn = c.list_durable_executions_by_function(
            FunctionName="StepRetry")["DurableExecutions"][0]["DurableExecutionArn"]
        out = subprocess.run([DURABLE, "logs", srv.db, step_arn, "--json"],
                             capture_output=True, text=True)
        t.check(out.returncode == 0, "durable logs exits 0", out.stderr)
        lines = json.loads(out.stdout or "[]")
        t.check(len(lines) >= 1 and all(l["Function"] == "StepRetry" for l in lines),
                "durable logs: the function's lines of that execution", out.stdout[:300])
        t.check(len({l["RequestId"] for l in lines if "RequestId" in l}) >= 1,
                "durable logs: lines carry their invocation's request id")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
