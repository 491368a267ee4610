"""`make interop-official`: the official conformance runner, unmodified,
against `durable serve` (issue 14).

For each run (python: the official Python SDK's handlers and templates;
c: the project's conformance handlers behind durable_lambda_run, in
templates written here; sdk: any SDK's templates, each function running
--sdk-command, that language's Runtime API bootstrap) it:
1. starts `durable serve` on a fresh file with every function of the run's
   templates registered (sam_template.py), once with --skip-time and once on
   the real clock (see TIME below);
2. runs the runner (a copy of ../shared/interop/conformance-runner with the
   requirement folder laid under its test-requirements/) once per template and
   time mode, several at once, with `sam` a stand-in that exits 0, dummy
   credentials, AWS_ENDPOINT_URL_LAMBDA at the server and
   AWS_ENDPOINT_URL_CLOUDFORMATION / _CLOUDWATCH_LOGS at aws_shims.py;
3. reads the runner's JSON reports and prints one line per run, the
   requirements that did not pass with the runner's first error, and
   `interop-official: python passed=N of M, c passed=N of M`, M being every
   requirement of the folder (one with no handler in the run's templates
   counts as not passed: UNCOVERED).
Exit 1 when a requirement of a run's pass list did not pass, or a runner
ended without its report.

TIME. The runner polls the history every 2 s and gives up after 30 s
without a new event, so the long timers of some requirements (2-4 waits
60 s, 2-5 an hour, 1-14 retries after 54 s) can only pass with time skipped.
But a skip-time server has one virtual clock that runs ahead of the real
one, and it stamps the function log lines with it, while the runner asks
FilterLogEvents for the lines between its own (real) invocation start and
now: log lines of a requirement with ExpectedLogs must be stamped on the
real clock. And while a callback waits for the outside the server lets time
run at the real pace, which would hold back every skipped timer of the same
server. So a requirement with ExpectedLogs or CallbackActions, or a callback
in its expected history, runs on a real-clock server (its timers are at most
10 s), every other one on a --skip-time server. The runner selects by suite, so each template is given
to it as two copies (sam_template.write_subset): one whose functions keep
only their real-clock requirement ids in TestingMetadata, one with the rest.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aws_shims  # noqa: E402
import sam_template  # noqa: E402

REGION = "us-west-2"
BOOTSTRAP = os.path.join(os.path.dirname(HERE), "lambda_bootstrap.py")
PACKAGING_ALIAS = ("import sys\nimport pip._vendor.packaging%s as _p\nsys.modules[__name__] = _p\n")


# ---- requirements ---------------------------------------------------------------

def read_requirements(folder):
    """{suite: {id: path}} as the runner discovers them (*.yaml under each
    sub-folder), and the ids that need the real clock (see TIME)."""
    import yaml
    suites, real_time = {}, set()
    for suite in sorted(os.listdir(folder)):
        d = os.path.join(folder, suite)
        if not os.path.isdir(d):
            continue
        ids = {}
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith(".yaml"):
                    path = os.path.join(root, f)
                    ids[f[:-5]] = path
                    with open(path, encoding="utf-8") as fh:
                        doc = yaml.safe_load(fh)
                    if needs_real_clock(doc):
                        real_time.add(f[:-5])
        if ids:
            suites[suite] = ids
    return suites, real_time


def needs_real_clock(doc):
    """ExpectedLogs, CallbackActions, or a callback in the expected history."""
    if not isinstance(doc, dict):
        return False
    if doc.get("ExpectedLogs") or doc.get("CallbackActions"):
        return True
    return any(isinstance(e, dict) and e.get("EventType") == "CallbackStarted"
               for e in doc.get("ExpectedExecutionHistory") or [])


# ---- the runner's surroundings -------------------------------------------------

def prepare_runner(work, runner_src, requirements):
    """A fresh copy of the runner with the requirements under
    test-requirements/, a stand-in `sam` and the `packaging` alias."""
    runner = os.path.join(work, "runner")
    shutil.rmtree(runner, ignore_errors=True)
    shutil.copytree(runner_src, runner, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(requirements, os.path.join(runner, "test-requirements"),
                    ignore=shutil.ignore_patterns("LICENSE", "NOTICE", "*.md"))
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir, exist_ok=True)
    sam = os.path.join(bindir, "sam")
    with open(sam, "w") as f:
        f.write("#!/bin/sh\n# stand-in for the SAM CLI: the functions are already served "
                "by durable serve\nexit 0\n")
    os.chmod(sam, 0o755)
    pkg = os.path.join(work, "pylib", "packaging")
    os.makedirs(pkg, exist_ok=True)
    for mod, suffix in (("__init__", ""), ("specifiers", ".specifiers"), ("version", ".version")):
        with open(os.path.join(pkg, mod + ".py"), "w") as f:
            f.write(PACKAGING_ALIAS % suffix)
    return runner, bindir, os.path.dirname(pkg)


# ---- durable serve ---------------------------------------------------------------

class Serve:
    def __init__(self, durable, folder, name, functions, skip_time):
        self.folder, self.name, self.skip_time = folder, name, skip_time
        self.db = os.path.join(folder, name + ".db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        fpath = os.path.join(folder, name + ".functions.json")
        with open(fpath, "w") as f:
            json.dump(functions, f, indent=1, sort_keys=True)
        args = [durable, "serve", self.db, "--listen", "127.0.0.1:0", "--functions", fpath,
                "--region", REGION]
        if skip_time:
            args.append("--skip-time")
        self.log_path = os.path.join(folder, name + ".serve.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        first = self.proc.stdout.readline().decode()
        if not first.startswith("durable serve: http://"):
            raise RuntimeError("durable serve did not start: %r (see %s)" % (first, self.log_path))
        self.url = first.split()[2]
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- runs ------------------------------------------------------------------------

class Group:
    """One runner process: a template, the suites it validates, a server."""

    def __init__(self, run, template, suites, mode):
        self.run, self.template, self.suites, self.mode = run, template, suites, mode
        stem = os.path.basename(template).split(".")[0].replace("template_", "")
        self.name = "%s-%s-%s" % (run, stem, mode)
        self.server = None
        self.stack = "conformance-tests-" + self.name


def python_functions(template, prefix, sdk_src):
    handlers = os.path.join(os.path.dirname(os.path.abspath(template)), "handlers")
    fns = sam_template.Functions(template, prefix, REGION)
    env = {"PYTHONPATH": handlers + os.pathsep + sdk_src, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONUNBUFFERED": "1"}
    return fns, fns.entries("exec %s %s" % (shlex.quote(sys.executable), shlex.quote(BOOTSTRAP)),
                            env)


def c_functions(template, prefix, c_function):
    fns = sam_template.Functions(template, prefix, REGION)
    return fns, fns.entries("exec " + shlex.quote(c_function), {})


def command_functions(template, prefix, command):
    """Any SDK's handlers: `command` (run by /bin/sh -c) is that language's
    Runtime API bootstrap; TEMPLATE_DIR is the folder of the template."""
    fns = sam_template.Functions(template, prefix, REGION)
    env = {"TEMPLATE_DIR": os.path.dirname(os.path.abspath(template))}
    return fns, fns.entries(command, env)


def plan_run(run, templates, suites, real_time, work, opts):
    """[Group] and {mode: functions} for one run."""
    folder = os.path.join(work, run)
    os.makedirs(folder, exist_ok=True)
    groups, functions = [], {"skip": {}, "real": {}}
    for template in templates:
        stem = os.path.splitext(os.path.basename(template))[0].replace("template_", "")
        if run == "python":
            fns, entries = python_functions(template, "py-" + stem, opts.python_sdk)
        elif run == "c":
            fns, entries = c_functions(template, "c-" + stem, opts.c_function)
        else:
            fns, entries = command_functions(template, "sdk-" + stem, opts.sdk_command)
        covered = {}  # mode -> {id: suite}
        for _, did in fns.descriptions():
            suite = next((s for s, ids in suites.items() if did in ids), None)
            if suite:
                covered.setdefault("real" if did in real_time else "skip", {})[did] = suite
        for mode, ids in sorted(covered.items()):
            path = os.path.join(folder, "templates", "%s.%s.yaml" % (stem, mode))
            sam_template.write_subset(template, path, set(ids))
            g = Group(run, path, sorted(set(ids.values())), mode)
            g.physical = fns.physical
            groups.append(g)
            functions[mode].update(entries)
    return groups, functions


def write_c_templates(work, suites, c_function):
    listed = subprocess.run([c_function, "--list"], check=True, capture_output=True,
                            text=True).stdout.split()
    folder = os.path.join(work, "c", "templates")
    os.makedirs(folder, exist_ok=True)
    out = []
    for suite, ids in sorted(suites.items()):
        have = [i for i in sorted(ids, key=id_key) if i in listed]
        if not have:
            continue
        path = os.path.join(folder, "template_%s.yaml" % suite)
        sam_template.write_c_template(path, suite, have, with_targets=(suite == "invoke"))
        out.append(path)
    return out


def id_key(rid):
    return tuple(int(p) if p.isdigit() else p for p in rid.split("-"))


def run_group(g, env_base, runner, opts, work):
    folder = os.path.join(work, g.run)
    env = dict(env_base)
    env["AWS_ENDPOINT_URL_LAMBDA"] = g.server.url
    report = os.path.join(folder, "reports", g.name)
    cmd = [sys.executable, "-m", "aws_durable_execution_conformance_tests.app",
           "--template", g.template, "--language", opts.sdk_language if g.run == "sdk" else g.run,
           "--region", REGION,
           "--name", g.name, "--suite", *g.suites, "--max-workers", str(opts.max_workers),
           "--report", "console", "json", "--report-file", report,
           "--history-dir", os.path.join(folder, "history", g.name)]
    log_path = os.path.join(folder, "logs", g.name + ".log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    t0 = time.time()
    with open(log_path, "w") as log:
        log.write("$ %s\n" % " ".join(cmd))
        log.flush()
        rc = subprocess.call(cmd, cwd=runner, env=env, stdout=log, stderr=subprocess.STDOUT)
    g.rc, g.seconds, g.log = rc, time.time() - t0, log_path
    g.report = report + ".json"
    return g


def collect(run, groups, suites):
    """{id: (status, first error)} over a run's groups; a requirement passes
    when its runner said PASSED (a template covering it twice must pass it
    both times)."""
    status = {}
    problems = []
    for g in groups:
        if not os.path.exists(g.report):
            problems.append("%s: the runner ended with status %s and no report (see %s)"
                            % (g.name, g.rc, g.log))
            continue
        with open(g.report) as f:
            rep = json.load(f)
        for r in rep.get("results", []):
            rid, st = r["id"], r["status"]
            err = (r.get("errors") or [r.get("reason") or ""])[0]
            if st == "UNCOVERED" and not err:
                err = "no function of the template names it"
            old = status.get(rid)
            if old is None or old[0] == "UNCOVERED" or (old[0] == "PASSED" and st != "UNCOVERED"):
                status[rid] = (st, err, g.name)
    all_ids = sorted((i for ids in suites.values() for i in ids), key=id_key)
    for rid in all_ids:
        status.setdefault(rid, ("UNCOVERED", "no function of the run's templates names it", ""))
    return status, problems, all_ids


def read_expect(path):
    if not path:
        return None
    ids = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--durable", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--runner", required=True)
    ap.add_argument("--python-sdk", required=True)
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--python-templates", default="")
    ap.add_argument("--c-function")
    ap.add_argument("--sdk-templates", default="", help="templates of the sdk run")
    ap.add_argument("--sdk-command", help="the sdk run's function command (/bin/sh -c)")
    ap.add_argument("--sdk-language", default="sdk", help="the sdk run's --language")
    ap.add_argument("--expect-sdk")
    ap.add_argument("--runs", default="python c")
    ap.add_argument("--expect-python")
    ap.add_argument("--expect-c")
    ap.add_argument("--jobs", type=int, default=6, help="runner processes at once")
    ap.add_argument("--max-workers", type=int, default=8, help="the runner's --max-workers")
    opts = ap.parse_args()
    runs = opts.runs.split()
    t_start = time.time()
    work = opts.work
    os.makedirs(work, exist_ok=True)
    for run in runs:
        shutil.rmtree(os.path.join(work, run), ignore_errors=True)

    suites, real_time = read_requirements(opts.requirements)
    runner, bindir, pylib = prepare_runner(work, opts.runner, opts.requirements)
    shims = aws_shims.Shims(os.path.join(work, "aws_shims.log")).start()

    plans, servers = {}, []
    try:
        for run in runs:
            if run == "python":
                templates = opts.python_templates.split()
            elif run == "c":
                templates = write_c_templates(work, suites, opts.c_function)
            elif run == "sdk" and opts.sdk_command:
                templates = opts.sdk_templates.split()
            else:
                sys.exit("unknown run %r" % run)
            groups, functions = plan_run(run, templates, suites, real_time, work, opts)
            for mode, fns in functions.items():
                if not fns:
                    continue
                s = Serve(opts.durable, os.path.join(work, run), mode, fns, mode == "skip")
                servers.append(s)
                shims.logs.add_db(s.db)
                for g in groups:
                    if g.mode == mode:
                        g.server = s
            for g in groups:
                shims.stacks.declare(g.stack, g.physical)
            plans[run] = groups

        env = dict(os.environ)
        env.update({
            "PATH": bindir + os.pathsep + env.get("PATH", ""),
            "PYTHONPATH": os.path.join(runner, "src") + os.pathsep + pylib,
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
            "AWS_ACCESS_KEY_ID": "AKIDLOCALDURABLE", "AWS_SECRET_ACCESS_KEY": "local-durable-secret",
            "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_CLOUDFORMATION": shims.url,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": shims.url,
        })
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
            env.pop(k, None)
        all_groups = [g for run in runs for g in plans[run]]
        # Longest first: the real-clock and log-reading suites set the pace.
        all_groups.sort(key=lambda g: (g.mode != "real", "plugin" not in g.suites))
        with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
            for g in pool.map(lambda g: run_group(g, env, runner, opts, work), all_groups):
                print("  %-40s runner exit %s, %.0f s" % (g.name, g.rc, g.seconds), flush=True)
    finally:
        for s in servers:
            s.stop()
        shims.stop()

    failed = False
    summary = []
    for run in runs:
        status, problems, all_ids = collect(run, plans[run], suites)
        for p in problems:
            print("interop-official: " + p)
            failed = True
        counts = {}
        for st, _, _ in status.values():
            counts[st] = counts.get(st, 0) + 1
        passed = counts.get("PASSED", 0)
        for rid in all_ids:
            st, err, gname = status[rid]
            if st != "PASSED":
                print("  %s %s %s: %s" % (run, rid, st, err[:300]))
        expect = read_expect({"python": opts.expect_python, "c": opts.expect_c,
                              "sdk": opts.expect_sdk}[run])
        missing = [i for i in (expect or []) if status.get(i, ("ABSENT",))[0] != "PASSED"]
        unlisted = [i for i in all_ids if status[i][0] == "PASSED" and expect is not None
                    and i not in expect]
        label = opts.sdk_language if run == "sdk" else run
        print("%s: passed=%d failed=%d optional_failed=%d not_implemented=%d uncovered=%d of %d "
              "(reports: %s)" % (label, passed, counts.get("FAILED", 0),
                                 counts.get("OPTIONAL_FAILED", 0), counts.get("NOT_IMPLEMENTED", 0),
                                 counts.get("UNCOVERED", 0), len(all_ids),
                                 os.path.join(work, run, "reports")), flush=True)
        if missing:
            failed = True
            print("interop-official: %s: expected to pass but did not: %s" % (run, " ".join(missing)))
        if unlisted:
            print("interop-official: %s: passing but not in the pass list (add them): %s"
                  % (run, " ".join(unlisted)))
        summary.append("%s passed=%d of %d" % (label, passed, len(all_ids)))
    print("interop-official: %.0f s" % (time.time() - t_start))
    print("interop-official: " + ", ".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
