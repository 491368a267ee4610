"""A Lambda Python runtime for `durable serve`: loads _HANDLER
("package.module.function", as a Lambda Python runtime does) and serves
invocations from the Runtime API in AWS_LAMBDA_RUNTIME_API until it is ended.

Used by the interop tests to run the official Python SDK's handlers as
function processes. Only the standard library: the function's own modules
come from PYTHONPATH.
"""
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


class JsonFormatter(logging.Formatter):
    """Lambda's JSON log format: one object per record, extra fields kept
    (the SDK's logger adds executionArn and the like)."""

    SKIP = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record):
        out = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + ".%03dZ" % record.msecs,
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        rid = getattr(Context.current, "aws_request_id", None) if Context.current else None
        if rid:
            out["requestId"] = rid
        for k, v in vars(record).items():
            if k not in self.SKIP:
                out[k] = v
        if record.exc_info:
            out["errorMessage"] = str(record.exc_info[1])
            out["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(out, default=str)


class Context:
    current = None

    def __init__(self, request_id, deadline_ms, function_arn):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = "local"
        self._deadline_ms = deadline_ms
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def request(conn, method, path, body=None, headers=None):
    conn.request(method, PREFIX + path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return resp, data


def error_body(exc):
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_exception(type(exc), exc, exc.__traceback__),
    })


def main():
    host, _, port = API.partition(":")
    conn = http.client.HTTPConnection(host, int(port or 80))
    handler_name = os.environ.get("_HANDLER", "")
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "JSON").upper() == "JSON":
        h = logging.StreamHandler(sys.stdout)
        h.setFormatter(JsonFormatter())
        logging.basicConfig(level=logging.INFO, handlers=[h], force=True)
    try:
        module_name, _, func_name = handler_name.rpartition(".")
        handler = getattr(importlib.import_module(module_name), func_name)
    except Exception as exc:  # an init error: reported, then the process ends
        request(conn, "POST", "/init/error", error_body(exc),
                {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        return 1
    while True:
        resp, data = request(conn, "GET", "/invocation/next")
        if resp.status != 200:
            return 0
        rid = resp.getheader("Lambda-Runtime-Aws-Request-Id")
        ctx = Context(rid, int(resp.getheader("Lambda-Runtime-Deadline-Ms") or 0),
                      resp.getheader("Lambda-Runtime-Invoked-Function-Arn"))
        Context.current = ctx
        try:
            result = handler(json.loads(data), ctx)
            out = json.dumps(result)
        except Exception as exc:
            request(conn, "POST", "/invocation/%s/error" % rid, error_body(exc),
                    {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
        else:
            request(conn, "POST", "/invocation/%s/response" % rid, out)
        finally:
            Context.current = None
            sys.stdout.flush()
            sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
