"""Start and stop `durable serve` for the interop tests.

The binary comes from $DURABLE (the Makefile passes build/durable); the
official Python SDK and handlers from $INTEROP_SHARED. Each server runs on a
free loopback port with its own temporary file.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("INTEROP_SHARED", os.path.join(HERE, "..", "..", "..", "shared", "interop"))
PY_HANDLERS = os.path.join(SHARED, "python-handlers", "handlers")
PY_SDK = os.path.join(SHARED, "python-sdk", "src")
DURABLE = os.environ.get("DURABLE", os.path.join(HERE, "..", "..", "build", "durable"))
REGION = "us-west-2"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def python_function(handler, env=None):
    """A functions-file entry running an official Python SDK handler
    ("step.step_basic.handler") under our Runtime API bootstrap."""
    e = {"PYTHONPATH": PY_HANDLERS + os.pathsep + PY_SDK, "PYTHONDONTWRITEBYTECODE": "1"}
    e.update(env or {})
    return {"Command": "exec %s %s" % (sys.executable, os.path.join(HERE, "lambda_bootstrap.py")),
            "Handler": handler, "Environment": e}


class Server:
    def __init__(self, functions, skip_time=True, db=None, extra_args=(), port=None):
        self.dir = tempfile.mkdtemp(prefix="durable-interop-")
        self.db = db or os.path.join(self.dir, "interop.db")
        self.functions = functions
        self.skip_time = skip_time
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        fpath = os.path.join(self.dir, "functions.json")
        with open(fpath, "w") as f:
            json.dump(self.functions, f)
        args = [DURABLE, "serve", self.db, "--listen", "127.0.0.1:%d" % self.port,
                "--functions", fpath, "--region", REGION] + self.extra_args
        if self.skip_time:
            args.append("--skip-time")
        self.log = open(os.path.join(self.dir, "serve.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        first = self.proc.stdout.readline().decode()
        if not first.startswith("durable serve:"):
            raise RuntimeError("durable serve did not start: %r (log %s)" % (first, self.log.name))
        for _ in range(4):  # the environment lines
            self.proc.stdout.readline()
        return self

    def env(self):
        e = dict(os.environ)
        e.update({"AWS_ENDPOINT_URL_LAMBDA": self.url, "AWS_REGION": REGION,
                  "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "AKIDLOCALDURABLE",
                  "AWS_SECRET_ACCESS_KEY": "local-durable-secret"})
        return e

    def client(self, **kw):
        import boto3
        from botocore.config import Config
        return boto3.client("lambda", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="AKIDLOCALDURABLE",
                            aws_secret_access_key="local-durable-secret",
                            config=Config(retries={"max_attempts": 1}, read_timeout=120, **kw))

    def kill(self):
        """SIGKILL: the server dies with no chance to clean up."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Checks:
    """Counts checks and prints each failure; `done` prints the closing line."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s: %s %s" % (self.name, what, detail), flush=True)
        return cond

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed), flush=True)
        return 1 if self.failed else 0


def wait_for(pred, timeout=60, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None
