"""Every route of the Lambda durable API and its errors through boto3
(botocore 1.43.11, unmodified) against `durable serve`: botocore must parse
each answer into the fields and types of its model and raise the right
exception class for each error (HTTP_API.md §6.2)."""
import datetime
import http.client
import json
import sys
import threading

from botocore.exceptions import ClientError

from serve import Checks, Server, python_function, wait_for

FUNCTIONS = {
    "StepBasic": python_function("step.step_basic.handler"),
    "CallbackBasic": python_function("callback.callback_basic.handler"),
}
ARN_PREFIX = "arn:aws:lambda:us-west-2:123456789012:function:"

t = Checks("interop-boto3")


def error_of(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"].get("Code"), e.response["Error"].get("Message", ""), \
            e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, None, None


def expect_error(code, status, fn, *a, **kw):
    got, msg, http_status = error_of(fn, *a, **kw)
    t.eq(got, code, "%s raises %s" % (getattr(fn, "__name__", fn), code))
    t.eq(http_status, status, "%s answers HTTP %d" % (getattr(fn, "__name__", fn), status))
    return msg


def history(c, arn, **kw):
    return c.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True, **kw)


def callback_id(c, arn):
    def find():
        for e in history(c, arn)["Events"]:
            if e["EventType"] == "CallbackStarted":
                return e["CallbackStartedDetails"]["CallbackId"]
        return None
    return wait_for(find, timeout=60)


def status_of(c, arn):
    return c.get_durable_execution(DurableExecutionArn=arn)["Status"]


def main():
    with Server(FUNCTIONS) as srv:
        c = srv.client()
        raw = srv.client(parameter_validation=False)

        # Invoke, RequestResponse: blocks until the execution is terminal.
        r = c.invoke(FunctionName="StepBasic", Payload=b'"World"')
        arn = r.get("DurableExecutionArn", "")
        t.eq(r["StatusCode"], 200, "Invoke RequestResponse status")
        t.eq(r["Payload"].read(), b'"Hello, World!"', "Invoke result")
        t.check("FunctionError" not in r, "no FunctionError on success")
        t.eq(r.get("ExecutedVersion"), "$LATEST", "X-Amz-Executed-Version")
        t.check(arn.startswith(ARN_PREFIX + "StepBasic:$LATEST/durable-execution/"), "ARN shape", arn)
        t.check(len(r["ResponseMetadata"].get("RequestId", "")) >= 32, "x-amzn-RequestId")

        # GetDurableExecution
        x = c.get_durable_execution(DurableExecutionArn=arn)
        t.eq(x["Status"], "SUCCEEDED", "GetDurableExecution Status")
        t.eq(x["Result"], '"Hello, World!"', "GetDurableExecution Result")
        t.eq(x["InputPayload"], '"World"', "GetDurableExecution InputPayload")
        t.eq(x["FunctionArn"], ARN_PREFIX + "StepBasic", "FunctionArn is unqualified")
        t.eq(x["DurableExecutionArn"], arn, "DurableExecutionArn")
        t.check(isinstance(x["StartTimestamp"], datetime.datetime), "StartTimestamp parses")
        t.check(isinstance(x["EndTimestamp"], datetime.datetime), "EndTimestamp parses")
        t.check(x["EndTimestamp"] >= x["StartTimestamp"], "End after start")
        t.check(isinstance(x["DurableExecutionName"], str) and x["DurableExecutionName"], "name")

        # GetDurableExecutionHistory: all, pages, reverse, without data.
        h = history(c, arn)
        types = [e["EventType"] for e in h["Events"]]
        t.eq(types, ["ExecutionStarted", "StepStarted", "StepSucceeded", "InvocationCompleted",
                     "ExecutionSucceeded"], "history event types")
        t.eq([e["EventId"] for e in h["Events"]], list(range(1, len(types) + 1)), "EventIds")
        t.check(all(isinstance(e["EventTimestamp"], datetime.datetime) for e in h["Events"]),
                "EventTimestamp parses")
        t.check("NextMarker" not in h, "one page, no NextMarker")
        t.eq(h["Events"][0]["ExecutionStartedDetails"]["Input"].get("Payload"), '"World"',
             "ExecutionStarted Input payload")
        p1 = history(c, arn, MaxItems=2)
        t.eq(len(p1["Events"]), 2, "MaxItems=2 page")
        t.check("NextMarker" in p1, "NextMarker on a partial page")
        p2 = history(c, arn, MaxItems=10, Marker=p1.get("NextMarker", ""))
        t.eq([e["EventType"] for e in p1["Events"] + p2["Events"]], types, "pages join")
        rev = history(c, arn, ReverseOrder=True)
        t.eq([e["EventType"] for e in rev["Events"]], types[::-1], "ReverseOrder")
        nodata = c.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=False)
        t.check("Payload" not in nodata["Events"][0]["ExecutionStartedDetails"]["Input"],
                "IncludeExecutionData=false drops the input payload")
        expect_error("InvalidParameterValueException", 400, history, c, arn, Marker="garbage")
        expect_error("InvalidParameterValueException", 400, raw.get_durable_execution_history,
                     DurableExecutionArn=arn, MaxItems=5000)

        # Invoke, Event with a name; duplicate name -> 409.
        r = c.invoke(FunctionName="CallbackBasic", InvocationType="Event", Payload=b'"cb"',
                     DurableExecutionName="cb-1")
        t.eq(r["StatusCode"], 202, "Invoke Event answers 202")
        t.eq(r["Payload"].read(), b"", "Invoke Event has an empty body")
        cb_arn = r.get("DurableExecutionArn", "")
        t.check("/durable-execution/cb-1/" in cb_arn, "execution name in the ARN", cb_arn)
        expect_error("DurableExecutionAlreadyStartedException", 409, c.invoke,
                     FunctionName="CallbackBasic", InvocationType="Event", Payload=b'"cb"',
                     DurableExecutionName="cb-1")

        # Callbacks: heartbeat, success, then success again (rejected).
        cid = callback_id(c, cb_arn)
        t.check(cid, "CallbackStarted carries a CallbackId")
        t.eq(c.send_durable_execution_callback_heartbeat(CallbackId=cid)["ResponseMetadata"]
             ["HTTPStatusCode"], 200, "heartbeat")
        c.send_durable_execution_callback_success(CallbackId=cid, Result=b'"yes"')
        t.eq(wait_for(lambda: status_of(c, cb_arn) != "RUNNING" and status_of(c, cb_arn)),
             "SUCCEEDED", "callback success completes the execution")
        # The Python SDK hands the callback's raw Result text to the handler
        # (pass-through serdes), which returns it as a string.
        t.eq(c.get_durable_execution(DurableExecutionArn=cb_arn).get("Result"),
             json.dumps('"yes"'), "callback result is the execution result")
        expect_error("InvalidParameterValueException", 400,
                     c.send_durable_execution_callback_success, CallbackId=cid, Result=b"1")
        for fn in (c.send_durable_execution_callback_failure,
                   c.send_durable_execution_callback_heartbeat):
            expect_error("ResourceNotFoundException", 404, fn, CallbackId="bm9zdWNoY2FsbGJhY2s=")

        # Callback failure: RequestResponse Invoke answers the error with
        # X-Amz-Function-Error once the execution fails.
        box = {}
        th = threading.Thread(target=lambda: box.update(r=c.invoke(
            FunctionName="CallbackBasic", Payload=b'"cb2"', DurableExecutionName="cb-2")))
        th.start()
        f_arn = wait_for(lambda: next((e["DurableExecutionArn"] for e in
                                       c.list_durable_executions_by_function(
                                           FunctionName="CallbackBasic",
                                           DurableExecutionName="cb-2")["DurableExecutions"]),
                                      None))
        fcid = callback_id(c, f_arn)
        c.send_durable_execution_callback_failure(
            CallbackId=fcid, Error={"ErrorType": "MyErr", "ErrorMessage": "boom",
                                    "ErrorData": '{"a":1}', "StackTrace": ["l1", "l2"]})
        th.join(120)
        r = box.get("r", {})
        t.eq(r.get("FunctionError"), "Unhandled", "failed execution: X-Amz-Function-Error")
        body = json.loads(r["Payload"].read()) if r else {}
        t.check("boom" in json.dumps(body), "failed execution: the error is the body", body)
        t.eq(status_of(c, f_arn), "FAILED", "callback failure fails the execution")

        # Stop.
        r = c.invoke(FunctionName="CallbackBasic", InvocationType="Event", Payload=b'"cb3"')
        s_arn = r["DurableExecutionArn"]
        callback_id(c, s_arn)
        stop = c.stop_durable_execution(DurableExecutionArn=s_arn,
                                        Error={"ErrorType": "Stopped", "ErrorMessage": "by test"})
        t.check(isinstance(stop.get("StopTimestamp"), datetime.datetime), "StopTimestamp parses")
        t.eq(status_of(c, s_arn), "STOPPED", "stop closes the execution")
        t.eq(c.get_durable_execution(DurableExecutionArn=s_arn).get("Error"),
             {"ErrorType": "Stopped", "ErrorMessage": "by test"}, "stop keeps the given Error")
        t.eq(history(c, s_arn)["Events"][-1]["EventType"], "ExecutionStopped",
             "ExecutionStopped is the last event")
        expect_error("ResourceNotFoundException", 404, c.stop_durable_execution,
                     DurableExecutionArn=ARN_PREFIX + "StepBasic:$LATEST/durable-execution/n/o")

        # ListDurableExecutionsByFunction: filters, order, pages, ARN names.
        lst = c.list_durable_executions_by_function(FunctionName="CallbackBasic")
        t.eq(len(lst["DurableExecutions"]), 3, "list: every execution of the function")
        s = c.list_durable_executions_by_function(FunctionName="CallbackBasic",
                                                  Statuses=["SUCCEEDED", "STOPPED"])
        t.eq(sorted(e["Status"] for e in s["DurableExecutions"]), ["STOPPED", "SUCCEEDED"],
             "list: Statuses filter (repeated key)")
        one = c.list_durable_executions_by_function(FunctionName="CallbackBasic", MaxItems=1)
        t.check(len(one["DurableExecutions"]) == 1 and "NextMarker" in one, "list: MaxItems page")
        rest = c.list_durable_executions_by_function(FunctionName="CallbackBasic",
                                                     Marker=one.get("NextMarker", ""))
        t.eq(len(rest["DurableExecutions"]), 2, "list: next page")
        fwd = [e["DurableExecutionArn"] for e in lst["DurableExecutions"]]
        back = [e["DurableExecutionArn"] for e in c.list_durable_executions_by_function(
            FunctionName="CallbackBasic", ReverseOrder=True)["DurableExecutions"]]
        t.eq(back, fwd[::-1], "list: ReverseOrder")
        by_arn = c.list_durable_executions_by_function(FunctionName=ARN_PREFIX + "CallbackBasic")
        t.eq(len(by_arn["DurableExecutions"]), 3, "list: FunctionName as an ARN")
        future = c.list_durable_executions_by_function(
            FunctionName="CallbackBasic", StartedAfter=datetime.datetime(2100, 1, 1))
        t.eq(future["DurableExecutions"], [], "list: StartedAfter")
        e0 = lst["DurableExecutions"][0]
        t.check(isinstance(e0["StartTimestamp"], datetime.datetime) and e0["FunctionArn"] ==
                ARN_PREFIX + "CallbackBasic", "list: item fields", e0)
        expect_error("ResourceNotFoundException", 404, c.list_durable_executions_by_function,
                     FunctionName="NoSuchFunction")

        # Checkpoint and state: a bad token is the SDKs' retryable message.
        msg = expect_error("InvalidParameterValueException", 400, c.checkpoint_durable_execution,
                           DurableExecutionArn=cb_arn, CheckpointToken="bm90LWEtdG9rZW4=",
                           Updates=[])
        t.check(msg.startswith("Invalid Checkpoint Token"), "checkpoint token message", msg)
        msg = expect_error("InvalidParameterValueException", 400,
                           c.get_durable_execution_state, DurableExecutionArn=cb_arn,
                           CheckpointToken="bm90LWEtdG9rZW4=")
        t.check(msg.startswith("Invalid Checkpoint Token"), "state token message", msg)
        expect_error("ResourceNotFoundException", 404, c.checkpoint_durable_execution,
                     DurableExecutionArn=ARN_PREFIX + "X:$LATEST/durable-execution/a/b",
                     CheckpointToken="bm90LWEtdG9rZW4=", Updates=[])
        expect_error("ResourceNotFoundException", 404, c.get_durable_execution,
                     DurableExecutionArn=ARN_PREFIX + "X:$LATEST/durable-execution/a/b")

        # Invoke errors.
        expect_error("ResourceNotFoundException", 404, c.invoke, FunctionName="NoSuchFunction",
                     Payload=b"{}")
        expect_error("InvalidRequestContentException", 400, c.invoke, FunctionName="StepBasic",
                     Payload=b"{not json")
        big = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
        expect_error("RequestTooLargeException", 413, c.invoke, FunctionName="StepBasic",
                     Payload=big)
        dry = c.invoke(FunctionName="StepBasic", InvocationType="DryRun", Payload=b"{}")
        t.eq(dry["StatusCode"], 204, "DryRun answers 204")
        t.eq(len(c.list_durable_executions_by_function(FunctionName="StepBasic")
                 ["DurableExecutions"]), 1, "rejected and dry-run Invokes start nothing")

        # Raw HTTP: unknown routes, wrong methods, error shape, keep-alive.
        conn = http.client.HTTPConnection("127.0.0.1", srv.port)
        for method, path in (("GET", "/nope"), ("DELETE", "/2025-12-01/durable-executions/x"),
                             ("GET", "/2025-12-01/durable-executions/x/checkpoint")):
            conn.request(method, path)
            resp = conn.getresponse()
            body = json.loads(resp.read() or b"{}")
            t.eq(resp.status, 404, "%s %s answers 404" % (method, path))
            t.eq(resp.getheader("X-Amzn-ErrorType"), "ResourceNotFoundException",
                 "X-Amzn-ErrorType header")
            t.eq(body.get("__type"), "ResourceNotFoundException", "__type in the body")
            t.check(body.get("message", "").startswith("Unknown route: %s" % method),
                    "Unknown route message", body)
            t.check(resp.getheader("x-amzn-RequestId"), "x-amzn-RequestId on errors")
        sock = conn.sock
        conn.request("GET", "/2025-12-01/durable-executions/%s" % arn.replace(":", "%3A")
                     .replace("/", "%2F").replace("$", "%24"))
        resp = conn.getresponse()
        resp.read()
        t.eq(resp.status, 200, "percent-encoded ARN as one segment")
        t.check(conn.sock is sock and sock is not None, "keep-alive: one connection for all")
        conn.close()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
