#!/usr/bin/env python3
"""SigV4 test vectors from botocore, for tests/test_http_sigv4.c.

Drives botocore's real Lambda client (the one boto3 and the Python durable SDK
use) for the routes of HTTP_API.md 6.2, with fixed credentials and fixed
clocks, and records each signed request exactly as it would go on the wire
(method, raw path, raw query, headers, body) plus botocore's own canonical
request. Nothing is sent: a before-send hook captures the request and stops it.

    python3 tests/data/sigv4/gen_botocore.py > tests/data/sigv4/botocore.json
"""
import base64
import datetime
import json
import logging
import sys
from urllib.parse import urlsplit

import botocore.auth
import botocore.session

KEYS = {
    "AKIDLOCALEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AKIDSECONDKEY0002": "Zq3/+secondSecretWith/Slashes+Plus=",
}
ARN = ("arn:aws:lambda:us-west-2:123456789012:function:StepBasic:$LATEST/durable-execution/"
       "3a7a1ba5-4c3b-4e0e-9d6f-1f2a3b4c5d6e/82b7d488-0d7e-4a39-8f55-9d0b1c2d3e4f")
ARN2 = ("arn:aws:lambda:eu-central-1:210987654321:function:Order-Flow_2:7/durable-execution/"
        "my-exec.1/0f0e0d0c-0b0a-4908-8706-050403020100")
CB1 = base64.b64encode(b"\xfb\xff\x01callback-1\x00\x02>?").decode()      # has '+', '/', '='
CB2 = base64.b64encode(b"cb-two-" + bytes(range(250, 256))).decode()
TOKEN = "Ha33hILjUnMELZn/"

CLOCKS = [datetime.datetime(2026, 12, 6, 21, 0, 10), datetime.datetime(2026, 12, 31, 23, 59, 59),
          datetime.datetime(2027, 1, 1, 0, 0, 0), datetime.datetime(2026, 2, 28, 12, 34, 56)]


class Captured(Exception):
    pass


class CanonicalLog(logging.Handler):
    """Keeps the last canonical request botocore logs while signing."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.last = None

    def emit(self, record):
        if record.msg == "CanonicalRequest:\n%s":
            self.last = record.args[0] if isinstance(record.args, tuple) else record.args


def calls():
    """(name, operation, kwargs) for every route, with the inputs that stress encoding."""
    upd = [{"Id": "1ced8f5b", "Type": "STEP", "Action": "START", "Name": "greet", "SubType": "Step"},
           {"Id": "1ced8f5b", "Type": "STEP", "Action": "SUCCEED", "Name": "greet", "SubType": "Step",
            "Payload": "\"Hello, World!\""}]
    yield "checkpoint", "checkpoint_durable_execution", dict(
        DurableExecutionArn=ARN, CheckpointToken=TOKEN, Updates=upd,
        ClientToken="a6e8cf11-764e-4f75-a00e-4487a36e7615")
    yield "checkpoint_empty", "checkpoint_durable_execution", dict(
        DurableExecutionArn=ARN2, CheckpointToken="x4oAciiOtPncFfIa+/==", Updates=[],
        ClientToken="c1")
    yield "checkpoint_unicode", "checkpoint_durable_execution", dict(
        DurableExecutionArn=ARN, CheckpointToken=TOKEN, Updates=[
            {"Id": "c81e728d9d4c2f63", "Type": "WAIT", "Action": "START", "SubType": "Wait",
             "Name": "\u00e9t\u00e9 \u2603", "WaitOptions": {"WaitSeconds": 1}}])
    yield "state", "get_durable_execution_state", dict(
        DurableExecutionArn=ARN, CheckpointToken="JXqFdkaN48WQSWp/", Marker="page-2", MaxItems=1000)
    yield "state_plus_token", "get_durable_execution_state", dict(
        DurableExecutionArn=ARN2, CheckpointToken="a+b/c==d e", MaxItems=5)
    yield "get", "get_durable_execution", dict(DurableExecutionArn=ARN)
    yield "get_arn2", "get_durable_execution", dict(DurableExecutionArn=ARN2)
    yield "history", "get_durable_execution_history", dict(
        DurableExecutionArn=ARN, IncludeExecutionData=True)
    yield "history_paged", "get_durable_execution_history", dict(
        DurableExecutionArn=ARN2, IncludeExecutionData=False, MaxItems=50, ReverseOrder=False,
        Marker="m=1&x")
    yield "stop", "stop_durable_execution", dict(
        DurableExecutionArn=ARN, Error={"ErrorType": "Stopped", "ErrorMessage": "by test"})
    yield "stop_empty", "stop_durable_execution", dict(DurableExecutionArn=ARN2)
    yield "list", "list_durable_executions_by_function", dict(
        FunctionName="StepBasic", Qualifier="$LATEST", Statuses=["RUNNING", "SUCCEEDED"],
        StartedAfter=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        ReverseOrder=True, MaxItems=10)
    yield "list_repeated_sorted", "list_durable_executions_by_function", dict(
        FunctionName="StepBasic", Statuses=["TIMED_OUT", "FAILED", "STOPPED", "RUNNING"],
        DurableExecutionName="n\u00e4me+x")
    yield "list_by_arn", "list_durable_executions_by_function", dict(
        FunctionName="arn:aws:lambda:us-west-2:123456789012:function:StepBasic",
        StartedBefore=datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc),
        Marker="abc/def+ghi==")
    yield "callback_succeed", "send_durable_execution_callback_success", dict(
        CallbackId=CB1, Result=b'"3nwd1gkjmlin"')
    yield "callback_succeed_binary", "send_durable_execution_callback_success", dict(
        CallbackId=CB2, Result=bytes(range(256)))
    yield "callback_succeed_empty", "send_durable_execution_callback_success", dict(CallbackId=CB2)
    yield "callback_fail", "send_durable_execution_callback_failure", dict(
        CallbackId=CB1, Error={"ErrorType": "MyErr", "ErrorMessage": "boom",
                               "ErrorData": "{\"a\":1}", "StackTrace": ["l1", "l2"]})
    yield "callback_heartbeat", "send_durable_execution_callback_heartbeat", dict(CallbackId=CB1)
    yield "invoke_event", "invoke", dict(
        FunctionName="CallbackBasic", InvocationType="Event", Qualifier="$LATEST",
        Payload=b'"jqt3dqutr1"')
    yield "invoke_named", "invoke", dict(
        FunctionName="StepBasic", DurableExecutionName="my-exec-1", Payload=b'{"name":"World"}')
    yield "invoke_qualified_tenant", "invoke", dict(
        FunctionName="StepBasic:7", InvocationType="RequestResponse", TenantId="tenant a/b",
        Payload=b"")
    yield "invoke_arn", "invoke", dict(
        FunctionName="arn:aws:lambda:us-west-2:123456789012:function:StepBasic:$LATEST",
        Payload=json.dumps({"big": "x" * 3000}).encode())


def main():
    log = CanonicalLog()
    logging.getLogger("botocore.auth").addHandler(log)
    logging.getLogger("botocore.auth").setLevel(logging.DEBUG)
    session = botocore.session.get_session()
    endpoints = [("http://127.0.0.1:9009", "us-west-2"), ("http://localhost:8080", "eu-central-1"),
                 ("http://127.0.0.1", "us-east-1")]
    vectors = []
    captured = {}

    def before_send(request, **_):
        captured["req"] = request
        raise Captured()

    n = 0
    for round_no, (endpoint, region) in enumerate(endpoints):
        for key_no, (key_id, secret) in enumerate(KEYS.items()):
            if round_no == 2 and key_no == 1:
                continue
            client = session.create_client(
                "lambda", region_name=region, endpoint_url=endpoint,
                aws_access_key_id=key_id, aws_secret_access_key=secret)
            client.meta.events.register("before-send.lambda.*", before_send)
            for name, op, kwargs in calls():
                n += 1
                # The second key signs only every third call, to keep the file small.
                if key_no == 1 and n % 3:
                    continue
                clock = CLOCKS[n % len(CLOCKS)]
                botocore.auth.get_current_datetime = lambda c=clock: c
                try:
                    getattr(client, op)(**kwargs)
                except Captured:
                    pass
                req = captured.pop("req")
                parts = urlsplit(req.url)
                body = req.body or b""
                if isinstance(body, str):
                    body = body.encode()
                elif not isinstance(body, bytes):
                    body = body.read()
                vectors.append({
                    "name": f"botocore/{name}/{region}/{key_id}",
                    "client": "botocore " + botocore.__version__,
                    "key_id": key_id,
                    "secret": secret,
                    "method": req.method,
                    "path": parts.path,
                    "query": parts.query,
                    "headers": [[k, v.decode() if isinstance(v, bytes) else v]
                                for k, v in req.headers.items()] + [["Host", parts.netloc]],
                    "body_b64": base64.b64encode(body).decode(),
                    "canonical_request": log.last,
                })
    json.dump(vectors, sys.stdout, indent=1, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
