"""The two AWS services the official conformance runner calls besides Lambda,
answered by the harness (HTTP_API.md §6.3), never by `durable serve`:

- CloudFormation (query protocol: form-encoded POST, XML answers):
  ListStackResources, DescribeStackResource, DeleteStack over the stacks the
  harness declares (stack name -> logical id -> physical function name);
- CloudWatch Logs (JSON 1.1, X-Amz-Target Logs_20140328.FilterLogEvents):
  the function log lines `durable serve` keeps in its SQLite file (table
  function_logs), read-only, filtered as CloudWatch filters them: by log
  group (/aws/lambda/<function>), time range and a JSON filter pattern.

Both run on one ThreadingHTTPServer; the service is told apart by the
request (X-Amz-Target for Logs, a form body for CloudFormation), so
AWS_ENDPOINT_URL_CLOUDFORMATION and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS may
point at the same URL. Every request is appended to a log file, with its
answer's status, for the report.
"""
import json
import re
import sqlite3
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
LOG_PAGE = 1000  # events per FilterLogEvents page


def iso_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Stacks:
    """Stack name -> {logical id: physical function name}."""

    def __init__(self):
        self._stacks = {}
        self._lock = threading.Lock()

    def declare(self, stack, functions):
        with self._lock:
            self._stacks[stack] = dict(functions)

    def get(self, stack):
        with self._lock:
            return self._stacks.get(stack)

    def delete(self, stack):
        with self._lock:
            self._stacks.pop(stack, None)


# ---- CloudWatch Logs filter patterns ---------------------------------------

_TERM = re.compile(r'\(\s*\$\.([A-Za-z0-9_]+)\s*(=|!=)\s*"((?:[^"\\]|\\.)*)"\s*\)')


class FilterPattern:
    """The JSON filter patterns the runner sends: terms ($.field = "value")
    or (!=), joined all by || or all by &&, inside { }. Matching follows
    CloudWatch: only JSON-object lines can match, a field compares as text.
    An empty pattern matches every line. Anything else is rejected (an
    InvalidParameterException), rather than matched loosely."""

    def __init__(self, text):
        self.terms, self.any = [], True
        text = (text or "").strip()
        if not text:
            return
        if not (text.startswith("{") and text.endswith("}")):
            raise ValueError("unsupported filter pattern: %r" % text)
        body = text[1:-1].strip()
        pos, joins = 0, set()
        while True:
            m = _TERM.match(body, pos)
            if not m:
                raise ValueError("unsupported filter pattern: %r" % text)
            value = re.sub(r"\\(.)", r"\1", m.group(3))
            self.terms.append((m.group(1), m.group(2), value))
            pos = m.end()
            rest = body[pos:].lstrip()
            if not rest:
                break
            if rest.startswith("||") or rest.startswith("&&"):
                joins.add(rest[:2])
                pos = len(body) - len(rest) + 2
                while pos < len(body) and body[pos].isspace():
                    pos += 1
                continue
            raise ValueError("unsupported filter pattern: %r" % text)
        if len(joins) > 1:
            raise ValueError("mixed || and && in filter pattern: %r" % text)
        self.any = joins != {"&&"}

    def matches(self, line):
        if not self.terms:
            return True
        try:
            obj = json.loads(line)
        except ValueError:
            return False
        if not isinstance(obj, dict):
            return False
        results = []
        for field, op, value in self.terms:
            present = field in obj and not isinstance(obj[field], (dict, list))
            text = json_text(obj[field]) if present else None
            results.append(present and ((text == value) == (op == "=")))
        return any(results) if self.any else all(results)


def json_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


class LogSource:
    """Function log lines from the SQLite files of the servers (read-only)."""

    def __init__(self):
        self.dbs = []

    def add_db(self, path):
        self.dbs.append(path)

    def events(self, function, start_ms, end_ms, pattern):
        out = []
        for db in self.dbs:
            conn = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(db), uri=True,
                                   timeout=30)
            try:
                rows = conn.execute(
                    "SELECT id, invocation_id, stream, timestamp_ms, line FROM function_logs "
                    "WHERE function_name = ? AND timestamp_ms >= ? AND timestamp_ms <= ? "
                    "ORDER BY timestamp_ms, id", (function, start_ms, end_ms)).fetchall()
            except sqlite3.OperationalError:
                rows = []  # the server has not created the file's tables yet
            finally:
                conn.close()
            for rid, inv, stream, ts, line in rows:
                if pattern.matches(line):
                    day = time.strftime("%Y/%m/%d", time.gmtime(ts / 1000))
                    out.append({"logStreamName": "%s/[$LATEST]%s" % (day, inv or stream),
                                "timestamp": ts, "message": line, "ingestionTime": ts,
                                "eventId": "%s-%d" % (db.rsplit("/", 1)[-1], rid)})
        out.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        return out


# ---- the HTTP server ----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # requests go to the harness's own log
        pass

    def _send(self, status, body, ctype, extra=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.server.shims.record(self.command, self.path, self._what, status)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        target = self.headers.get("X-Amz-Target", "")
        self._what = target or body[:200]
        if target:
            self.logs(target, body)
        else:
            self.cloudformation(urllib.parse.parse_qs(body, keep_blank_values=True))

    # -- CloudFormation ---------------------------------------------------------

    def _cfn_error(self, status, code, message):
        xml = ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code>'
               '<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
               % (CFN_NS, code, escape(message), uuid.uuid4()))
        self._send(status, xml, "text/xml")

    def _cfn_ok(self, action, inner):
        xml = ('<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>'
               '%s</RequestId></ResponseMetadata></%sResponse>'
               % (action, CFN_NS, action, inner, action, uuid.uuid4(), action))
        self._send(200, xml, "text/xml")

    @staticmethod
    def _resource(logical, physical, member):
        return ("<%s><LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>%s"
                "</PhysicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType>"
                "<LastUpdatedTimestamp>%s</LastUpdatedTimestamp><ResourceStatus>"
                "CREATE_COMPLETE</ResourceStatus></%s>"
                % (member, escape(logical), escape(physical), iso_now(), member))

    def cloudformation(self, form):
        action = (form.get("Action") or [""])[0]
        stack_name = (form.get("StackName") or [""])[0]
        stacks = self.server.shims.stacks
        if action == "DeleteStack":
            stacks.delete(stack_name)
            return self._cfn_ok(action, "")
        if action not in ("ListStackResources", "DescribeStackResource"):
            return self._cfn_error(400, "InvalidAction", "Unknown action: %s" % action)
        stack = stacks.get(stack_name)
        if stack is None:
            return self._cfn_error(400, "ValidationError",
                                   "Stack with id %s does not exist" % stack_name)
        if action == "ListStackResources":
            members = "".join(self._resource(lg, ph, "member") for lg, ph in sorted(stack.items()))
            return self._cfn_ok(action, "<StackResourceSummaries>%s</StackResourceSummaries>"
                                % members)
        logical = (form.get("LogicalResourceId") or [""])[0]
        if logical not in stack:
            return self._cfn_error(400, "ValidationError", "Resource %s does not exist for stack %s"
                                   % (logical, stack_name))
        return self._cfn_ok(action, self._resource(logical, stack[logical], "StackResourceDetail"))

    # -- CloudWatch Logs --------------------------------------------------------

    def _logs_error(self, status, code, message):
        self._send(status, json.dumps({"__type": code, "message": message}),
                   "application/x-amz-json-1.1")

    def logs(self, target, body):
        if target != "Logs_20140328.FilterLogEvents":
            return self._logs_error(400, "UnknownOperationException", "Unknown target " + target)
        try:
            req = json.loads(body or "{}")
            pattern = FilterPattern(req.get("filterPattern"))
        except ValueError as exc:
            return self._logs_error(400, "InvalidParameterException", str(exc))
        group = req.get("logGroupName", "")
        if not group.startswith("/aws/lambda/"):
            return self._logs_error(400, "ResourceNotFoundException",
                                    "The specified log group does not exist.")
        events = self.server.shims.logs.events(group[len("/aws/lambda/"):],
                                               int(req.get("startTime") or 0),
                                               int(req.get("endTime") or 2**62), pattern)
        start = int(req.get("nextToken") or 0)
        page = events[start:start + LOG_PAGE]
        out = {"events": page, "searchedLogStreams": []}
        if start + LOG_PAGE < len(events):
            out["nextToken"] = str(start + LOG_PAGE)
        self._send(200, json.dumps(out), "application/x-amz-json-1.1")


class Shims:
    """The CloudFormation + Logs endpoint: start(), url, stop()."""

    def __init__(self, request_log):
        self.stacks = Stacks()
        self.logs = LogSource()
        self._log = open(request_log, "a")
        self._log_lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.shims = self
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def record(self, method, path, what, status):
        with self._log_lock:
            self._log.write("%s %s %s %s -> %d\n" % (iso_now(), method, path, what, status))
            self._log.flush()

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self._log.close()
