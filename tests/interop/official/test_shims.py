"""Checks of the harness's CloudFormation and Logs answers (aws_shims.py)
through boto3, the client the runner uses, so botocore's own parsers judge
the XML and JSON. Run first by `make interop-official`; exits 1 on a failure.

- ListStackResources / DescribeStackResource / DeleteStack round trips, and
  the ValidationError of an unknown stack or resource;
- FilterLogEvents over a function_logs table written here: the runner's
  pattern (|| of two fields), &&, !=, non-JSON and non-object lines, nested
  values, the log group, the time range (startTime and endTime inclusive),
  pagination by nextToken, and the refusal of a pattern it does not know.
"""
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aws_shims  # noqa: E402

import json  # noqa: E402

FAILED = []


def check(cond, what):
    if not cond:
        FAILED.append(what)
        print("FAIL test_shims: " + what, flush=True)


def field(line, key):
    """line's JSON field key, or the whole line when it is not a JSON object."""
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    return obj.get(key) if isinstance(obj, dict) else line


def make_db(path, rows):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE function_logs (id INTEGER PRIMARY KEY, function_name TEXT NOT NULL,"
                 " execution_id INTEGER, invocation_id TEXT, stream TEXT NOT NULL,"
                 " timestamp_ms INTEGER NOT NULL, line TEXT NOT NULL)")
    conn.executemany("INSERT INTO function_logs (function_name, invocation_id, stream, timestamp_ms,"
                     " line) VALUES (?, ?, 'stdout', ?, ?)", rows)
    conn.commit()
    conn.close()


def main():
    import boto3
    from botocore.exceptions import ClientError

    tmp = tempfile.mkdtemp(prefix="durable-shims-")
    arn = 'arn:aws:lambda:us-west-2:123456789012:function:f:$LATEST/durable-execution/n/"q"'
    other = "arn:aws:lambda:us-west-2:123456789012:function:f:$LATEST/durable-execution/m/2"
    rows = [("f", "r1", 1000, json.dumps({"durableExecutionArn": arn, "message": "a"})),
            ("f", "r1", 1001, json.dumps({"executionArn": arn, "message": "b"})),
            ("f", "r1", 1002, json.dumps({"executionArn": other, "message": "c"})),
            ("f", "r1", 1003, "plain text " + arn),
            ("f", "r1", 1004, json.dumps([{"executionArn": arn}])),
            ("f", "r1", 1005, json.dumps({"executionArn": {"nested": arn}})),
            ("g", "r2", 1006, json.dumps({"executionArn": arn, "message": "other function"})),
            ("f", "r1", 5000, json.dumps({"executionArn": arn, "message": "late", "level": "INFO"}))]
    rows += [("many", "r3", 2000 + i, json.dumps({"executionArn": arn, "i": i}))
             for i in range(aws_shims.LOG_PAGE + 5)]
    db = os.path.join(tmp, "logs.db")
    make_db(db, rows)
    shims = aws_shims.Shims(os.path.join(tmp, "requests.log")).start()
    shims.logs.add_db(db)
    shims.stacks.declare("conformance-tests-x", {"StepBasic": "py-step-StepBasic", "Echo": "echo"})
    kw = dict(endpoint_url=shims.url, region_name="us-west-2", aws_access_key_id="k",
              aws_secret_access_key="s")
    try:
        cfn = boto3.client("cloudformation", **kw)
        pages = list(cfn.get_paginator("list_stack_resources").paginate(
            StackName="conformance-tests-x"))
        got = {r["LogicalResourceId"]: (r["PhysicalResourceId"], r["ResourceType"], r["ResourceStatus"])
               for p in pages for r in p["StackResourceSummaries"]}
        check(got == {"StepBasic": ("py-step-StepBasic", "AWS::Lambda::Function", "CREATE_COMPLETE"),
                      "Echo": ("echo", "AWS::Lambda::Function", "CREATE_COMPLETE")},
              "ListStackResources: %r" % got)
        d = cfn.describe_stack_resource(StackName="conformance-tests-x", LogicalResourceId="Echo")
        check(d["StackResourceDetail"]["PhysicalResourceId"] == "echo", "DescribeStackResource")
        for call in (lambda: cfn.describe_stack_resource(StackName="conformance-tests-x",
                                                         LogicalResourceId="Nope"),
                     lambda: cfn.list_stack_resources(StackName="nope")):
            try:
                call()
                check(False, "an unknown resource or stack is answered")
            except ClientError as e:
                check(e.response["Error"]["Code"] == "ValidationError", "ValidationError code")
        cfn.delete_stack(StackName="conformance-tests-x")
        check(shims.stacks.get("conformance-tests-x") is None, "DeleteStack removes the stack")

        logs = boto3.client("logs", **kw)
        esc = arn.replace("\\", "\\\\").replace('"', '\\"')
        runner_pattern = ('{ ($.durableExecutionArn = "%s") || ($.executionArn = "%s") }'
                          % (esc, esc))

        def messages(**args):
            out, token = [], None
            while True:
                if token:
                    args["nextToken"] = token
                r = logs.filter_log_events(**args)
                out += [e["message"] for e in r["events"]]
                token = r.get("nextToken")
                if not token:
                    return out

        got = messages(logGroupName="/aws/lambda/f", startTime=1000, endTime=5000,
                       filterPattern=runner_pattern)
        check([field(m, "message") for m in got] == ["a", "b", "late"],
              "runner pattern: %r" % got)
        got = messages(logGroupName="/aws/lambda/f", startTime=1001, endTime=4999,
                       filterPattern=runner_pattern)
        check([field(m, "message") for m in got] == ["b"], "time range: %r" % got)
        got = messages(logGroupName="/aws/lambda/f", startTime=0, endTime=9999,
                       filterPattern='{ ($.executionArn = "%s") && ($.level = "INFO") }' % esc)
        check([field(m, "message") for m in got] == ["late"], "&&: %r" % got)
        got = messages(logGroupName="/aws/lambda/f", startTime=0, endTime=9999,
                       filterPattern='{ ($.executionArn != "%s") }' % esc)
        check([field(m, "message") for m in got] == ["c"], "!=: %r" % got)
        got = messages(logGroupName="/aws/lambda/f", startTime=0, endTime=9999)
        check(len(got) == 7, "no pattern: every line of the group, got %d" % len(got))
        got = messages(logGroupName="/aws/lambda/many", startTime=0, endTime=99999,
                       filterPattern=runner_pattern)
        check([field(m, "i") for m in got] == list(range(aws_shims.LOG_PAGE + 5)),
              "pagination: %d events" % len(got))
        r = logs.filter_log_events(logGroupName="/aws/lambda/many", startTime=0, endTime=99999)
        check(len(r["events"]) == aws_shims.LOG_PAGE and "nextToken" in r, "first page")
        e = r["events"][0]
        check(set(e) >= {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"},
              "event fields %r" % sorted(e))
        for bad in ('[a, b]', '{ $.x = 1 }', '{ ($.a = "x") || ($.b = "y") && ($.c = "z") }'):
            try:
                logs.filter_log_events(logGroupName="/aws/lambda/f", filterPattern=bad)
                check(False, "pattern %r is answered" % bad)
            except ClientError as exc:
                check(exc.response["Error"]["Code"] == "InvalidParameterException",
                      "pattern %r: %s" % (bad, exc.response["Error"]["Code"]))
    finally:
        shims.stop()
    print("test_shims: %s" % ("%d failed" % len(FAILED) if FAILED else "all passed"), flush=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
