"""make torture: crash torture of `durable serve` (issue 15).

Executions of tools/torture/torture_fn.c (an at-least-once step, an
at-most-once step retried once, a wait, a child context, a map, and half of
them a callback answered from outside) run through `durable serve` on a WAL
file with external function processes. Each cycle starts executions, lets
them run for a random moment, then SIGKILLs either the server (started again
on the same file) or a function process. After every cycle and at the end:
  lost        an operation a function saw acknowledged is missing from the
              file, or older than acknowledged; or an execution disappeared
  duplicated  an at-most-once step body ran twice for the same attempt, or
              an execution ran a step body that its history does not explain
  corrupt     integrity_check fails, EventIds have holes, or an execution
              ends with another result than an uninterrupted run's
Last line: torture: cycles=N executions=M lost=0 duplicated=0 corrupt=0
Loopback only; bounded by --cycles and --timeout.
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop"))
from serve import Server  # noqa: E402  (the interop tests' server wrapper)

EXPECTED_SUM = 1 + 2 + 10 + 100 + 200 + 300
APPROVAL = '"ok"'  # the raw callback Result; the C SDK hands it over as a JSON string


class Torture:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="durable-torture-")
        self.db = os.path.join(self.work, "torture.db")
        self.side = os.path.join(self.work, "side.txt")
        self.acks = os.path.join(self.work, "acks.txt")
        self.functions = {"Torture": {
            "Command": "exec %s" % os.path.abspath(args.function),
            "Environment": {"TORTURE_SIDE": self.side, "TORTURE_ACKS": self.acks}}}
        os.environ["DURABLE"] = os.path.abspath(args.durable)
        self.port = None
        self.srv = None
        self.execs = {}  # arn -> n
        self.wants_cb = {}
        self.next_n = 0
        self.lost = self.duplicated = self.corrupt = 0
        self.stop_answering = threading.Event()

    # ---- the server ----------------------------------------------------------------
    def start_server(self):
        self.srv = Server(self.functions, skip_time=False, db=self.db, port=self.port,
                          extra_args=["--retry-backoff", "200", "--concurrency", "8",
                                      "--quiet"])
        self.srv.start()
        self.port = self.srv.port
        self.client = self.srv.client()

    def kill_server(self):
        self.srv.kill()

    def function_pids(self):
        out = subprocess.run(["pgrep", "-f", os.path.abspath(self.args.function)],
                             capture_output=True, text=True).stdout.split()
        return [int(p) for p in out]

    # ---- traffic ---------------------------------------------------------------------
    def start_executions(self, k):
        for _ in range(k):
            n = self.next_n
            self.next_n += 1
            cb = self.rng.random() < 0.5
            try:
                r = self.client.invoke(FunctionName="Torture", InvocationType="Event",
                                       Payload=json.dumps({"n": n, "callback": cb}).encode())
            except Exception as e:  # the server is up: an Invoke must work
                print("torture: invoke failed: %s" % e, file=sys.stderr)
                self.corrupt += 1
                continue
            self.execs[r["DurableExecutionArn"]] = n
            self.wants_cb[n] = cb

    def answer_callbacks(self):
        """Answers every open callback from outside, as a person would."""
        client = self.srv.client()  # its own: boto3 clients are not shared across threads
        while not self.stop_answering.is_set():
            try:
                out = subprocess.run([self.args.durable, "callbacks", self.db, "--json"],
                                     capture_output=True, text=True, timeout=10)
                for cb in json.loads(out.stdout or "{}").get("Callbacks", []):
                    cid = cb.get("CallbackId")
                    if cid:
                        try:
                            client.send_durable_execution_callback_success(
                                CallbackId=cid, Result=APPROVAL.encode())
                        except Exception:
                            pass  # server down, or answered already: next round
            except Exception:
                pass
            self.stop_answering.wait(0.2)

    # ---- checks ------------------------------------------------------------------------
    def check(self, final=False):
        # What the functions saw acknowledged is read BEFORE the file: an
        # acknowledgement is written after its commit, so every line read
        # here must be in the snapshot taken next (read the other way round,
        # a checkpoint acknowledged in between looks lost).
        ack_lines = open(self.acks).read().splitlines() if os.path.exists(self.acks) else []
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
        con.execute("BEGIN")  # one snapshot for every query below
        try:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                print("torture: integrity_check failed", file=sys.stderr)
                self.corrupt += 1
            for eid, cnt, mx in con.execute(
                    "SELECT execution_id, count(*), max(event_id) FROM history_events "
                    "GROUP BY execution_id"):
                if cnt != mx:
                    print("torture: execution %d has EventId holes" % eid, file=sys.stderr)
                    self.corrupt += 1
            ops = {(a, i): s for a, i, s in con.execute(
                "SELECT arn, op_id, status FROM operations_view")}
            known = {a for (a,) in con.execute("SELECT arn FROM executions")}
            rank = {"STARTED": 1, "PENDING": 1, "READY": 1, "SUCCEEDED": 2, "FAILED": 2,
                    "CANCELLED": 2, "TIMED_OUT": 2, "STOPPED": 2}
            seen = set()
            if ack_lines:
                for line in ack_lines:
                    parts = line.split()
                    if len(parts) != 3 or (parts[0], parts[1]) in seen and parts[2] != "SUCCEEDED":
                        continue
                    arn, op, status = parts
                    have = ops.get((arn, op))
                    if have is None or rank.get(have, 0) < rank.get(status, 0):
                        if (arn, op, status) not in seen:
                            print("torture: acknowledged %s %s %s is %s in the file" %
                                  (arn[-12:], op, status, have), file=sys.stderr)
                            self.lost += 1
                    seen.add((arn, op))
                    seen.add((arn, op, status))
            for arn in self.execs:
                if arn not in known:
                    print("torture: execution %s vanished" % arn, file=sys.stderr)
                    self.lost += 1
            runs = {}
            if os.path.exists(self.side):
                for line in open(self.side):
                    n, name, attempt = line.split()
                    runs[(int(n), name, int(attempt))] = runs.get((int(n), name, int(attempt)), 0) + 1
            for (n, name, attempt), count in runs.items():
                if name == "amo" and count > 1:
                    print("torture: at-most-once step of %d attempt %d ran %d times" %
                          (n, attempt, count), file=sys.stderr)
                    self.duplicated += 1
            if final:
                self.final_checks(con, runs)
        finally:
            con.close()

    def final_checks(self, con, runs):
        for arn, n in self.execs.items():
            row = con.execute("SELECT status, result FROM executions WHERE arn = ?",
                              (arn,)).fetchone()
            want = {"n": n, "sum": EXPECTED_SUM}
            if self.wants_cb[n]:
                want["approval"] = APPROVAL
            got = json.loads(row[1]) if row and row[1] else None
            if not row or row[0] != "SUCCEEDED" or got != want:
                print("torture: execution %d ended %s with %s, want %s" %
                      (n, row and row[0], got, want), file=sys.stderr)
                self.corrupt += 1
            for name in ("alo", "child-step", "item-0", "item-1", "item-2"):
                if not any(k[0] == n and k[1] == name for k in runs):
                    print("torture: at-least-once step %s of %d never ran" % (name, n),
                          file=sys.stderr)
                    self.lost += 1

    # ---- the run -------------------------------------------------------------------------
    def run(self):
        a = self.args
        print("torture: seed=%d cycles=%d work=%s" % (a.seed, a.cycles, self.work), flush=True)
        self.start_server()
        answerer = threading.Thread(target=self.answer_callbacks, daemon=True)
        answerer.start()
        kills = {"server": 0, "function": 0}
        for cycle in range(1, a.cycles + 1):
            self.start_executions(self.rng.randint(1, a.per_cycle))
            time.sleep(self.rng.uniform(0.1, 1.5))
            pids = self.function_pids()
            if self.rng.random() < 0.5 or not pids:
                self.kill_server()
                kills["server"] += 1
                self.check()
                self.start_server()
            else:
                os.kill(self.rng.choice(pids), signal.SIGKILL)
                kills["function"] += 1
                self.check()
            if cycle % 10 == 0 or cycle == a.cycles:
                print("torture: cycle %d, %d executions, kills %s, lost=%d duplicated=%d "
                      "corrupt=%d" % (cycle, len(self.execs), kills, self.lost,
                                      self.duplicated, self.corrupt), flush=True)
        # Let everything finish uninterrupted.
        deadline = time.time() + a.timeout
        while time.time() < deadline:
            con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
            running = con.execute("SELECT count(*) FROM executions WHERE status = 'RUNNING'"
                                  ).fetchone()[0]
            con.close()
            if running == 0:
                break
            time.sleep(0.5)
        self.stop_answering.set()
        answerer.join(15)
        rc = self.srv.stop()
        if rc != 0:
            print("torture: durable serve exited %s on SIGTERM" % rc, file=sys.stderr)
            self.corrupt += 1
        self.check(final=True)
        print("torture: cycles=%d executions=%d lost=%d duplicated=%d corrupt=%d" %
              (a.cycles, len(self.execs), self.lost, self.duplicated, self.corrupt), flush=True)
        return 0 if self.lost == self.duplicated == self.corrupt == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--durable", required=True)
    p.add_argument("--function", required=True)
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--per-cycle", type=int, default=3, help="most executions started per cycle")
    p.add_argument("--timeout", type=float, default=300, help="seconds for the last ones to end")
    return Torture(p.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
