"use strict";
/*
 * Interop: the unmodified official JS SDK against `durable serve` (issue 12).
 *
 * Starts `durable serve` on a temporary file with --skip-time and SigV4
 * verification (--auth), runs the handlers of handlers.js as external
 * functions through bootstrap.js (the Lambda Runtime API), and drives each
 * one with the npm testing package's
 * CloudDurableTestRunner, whose @aws-sdk/client-lambda client is pointed at
 * the server. Callbacks are answered with boto3 (send_callback.py) once the
 * runner has seen their ids in the history. Each case must end with the
 * expected status, result and history (event types and names, in order),
 * and read back the same through client-lambda's List/Get commands. A
 * wrongly signed request must get InvalidSignatureException.
 *
 * Environment: DURABLE (the durable binary), DURABLE_BUILD (the build folder
 * holding npm/node_modules, from `make npm-deps`). Prints one line per case
 * and `interop-js: N passed, M failed`; exits 1 on any failure.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const net = require("node:net");
const util = require("node:util");
const { spawn, execFile } = require("node:child_process");
const { createRequire } = require("node:module");

const HERE = __dirname;
const ROOT = path.resolve(HERE, "..", "..", "..");
const BUILD = path.resolve(process.env.DURABLE_BUILD || path.join(ROOT, "build"));
const DURABLE = path.resolve(process.env.DURABLE || path.join(BUILD, "durable"));
const NODE_MODULES = path.join(BUILD, "npm", "node_modules");
const REGION = "us-west-2";
/* The server verifies SigV4 with this key (--auth), so every request the JS
 * client, the SDK in the function processes (the server hands them this key)
 * and boto3 sign is checked. */
const KEYS = { accessKeyId: "AKIDINTEROPJS", secretAccessKey: "interop-js-secret" };
const CASE_TIMEOUT_MS = 40000;

const npm = createRequire(path.join(NODE_MODULES, "index.js"));
const { CloudDurableTestRunner, InvocationType, WaitingOperationStatus } =
    npm("@aws/durable-execution-sdk-js-testing");
const { LambdaClient, ListDurableExecutionsByFunctionCommand, GetDurableExecutionCommand,
        StopDurableExecutionCommand, InvokeCommand, SendDurableExecutionCallbackSuccessCommand } =
    npm("@aws-sdk/client-lambda");

/*
 * The cases. `history` lists the execution's events in order, as
 * "EventType" or "EventType name" (the name is compared when given), or is
 * a function of the events returning the problems found.
 * `answer` (callback cases) names the operation whose callback is answered
 * from outside, and the JSON sent.
 */
const CASES = [
    {
        fn: "step", payload: { name: "World" },
        result: "Hello, World!",
        history: ["ExecutionStarted", "StepStarted greet", "StepSucceeded greet",
                  "InvocationCompleted", "ExecutionSucceeded"],
        check: (runner) => expectEq(runner.getOperation("greet").getStepDetails().result,
                                    "Hello, World!", "greet step result"),
    },
    {
        fn: "retry",
        result: { attempt: 3 },
        history: ["ExecutionStarted",
                  "StepStarted flaky", "StepFailed flaky", "InvocationCompleted",
                  "StepStarted flaky", "StepFailed flaky", "InvocationCompleted",
                  "StepStarted flaky", "StepSucceeded flaky", "InvocationCompleted",
                  "ExecutionSucceeded"],
        /* Each failed attempt's number and the delay asked for, then the success's. */
        check: (runner, execution) => expectEq(
            execution.getHistoryEvents().filter((e) => e.Name === "flaky" && e.EventType !== "StepStarted")
                .map((e) => (e.StepFailedDetails || e.StepSucceededDetails).RetryDetails),
            [{ CurrentAttempt: 1, NextAttemptDelaySeconds: 2 },
             { CurrentAttempt: 2, NextAttemptDelaySeconds: 2 }, { CurrentAttempt: 3 }],
            "flaky RetryDetails"),
    },
    {
        fn: "fail",
        status: "FAILED",
        /* The SDK fails the execution with a StepError carrying the message;
         * the step's own error keeps the handler's type. */
        error: { errorType: "StepError", errorMessage: "out of stock" },
        history: ["ExecutionStarted", "StepStarted doomed", "StepFailed doomed",
                  "InvocationCompleted", "ExecutionFailed"],
        check: (runner) => {
            const err = runner.getOperation("doomed").getStepDetails().error || {};
            return [...expectEq(err.errorType, "StockError", "doomed step errorType"),
                    ...expectEq(err.errorMessage, "out of stock", "doomed step errorMessage")];
        },
    },
    {
        fn: "wait",
        result: { before: 1, after: 2 },
        history: ["ExecutionStarted", "StepStarted before", "StepSucceeded before",
                  "WaitStarted pause", "InvocationCompleted", "WaitSucceeded pause",
                  "StepStarted after", "StepSucceeded after", "InvocationCompleted",
                  "ExecutionSucceeded"],
        check: (runner) => expectEq(runner.getOperation("pause").getWaitDetails().waitSeconds, 30,
                                    "pause wait seconds"),
    },
    {
        fn: "callback", event: true,
        answer: { op: "approval", status: WaitingOperationStatus.STARTED,
                  json: { approved: true, by: "boto3" } },
        result: { approved: true, by: "boto3", idLength: "any" },
        history: ["ExecutionStarted", "CallbackStarted approval", "InvocationCompleted",
                  "CallbackSucceeded approval", "InvocationCompleted", "ExecutionSucceeded"],
    },
    {
        /* The same callback failed from outside: the SDK raises it in the
         * handler, which returns what it caught. */
        fn: "callbackFailure", handler: "handlers.callback", event: true,
        answer: { op: "approval", status: WaitingOperationStatus.STARTED,
                  error: { ErrorType: "Rejected", ErrorMessage: "not today",
                           ErrorData: "{\"code\":7}" } },
        result: { caught: "CallbackExternalError", message: "not today", cause: "Rejected",
                  data: "{\"code\":7}" },
        history: ["ExecutionStarted", "CallbackStarted approval", "InvocationCompleted",
                  "CallbackFailed approval", "InvocationCompleted", "ExecutionSucceeded"],
    },
    {
        /* The same callback never answered: the execution is stopped from
         * outside with client-lambda's StopDurableExecutionCommand. */
        fn: "stop", handler: "handlers.callback", event: true,
        stop: { op: "approval", error: { ErrorType: "Halted", ErrorMessage: "by interop-js" } },
        status: "STOPPED",
        error: { errorType: "Halted", errorMessage: "by interop-js" },
        history: ["ExecutionStarted", "CallbackStarted approval", "InvocationCompleted",
                  "ExecutionStopped"],
    },
    {
        fn: "waitForCallback", event: true,
        answer: { op: "webhook", status: WaitingOperationStatus.SUBMITTED,
                  json: { ok: 1 } },
        result: { reply: { ok: 1 } },
        /* The submitter's log line, kept by the server for its invocation
         * (`durable logs`), names the callback id the runner saw. */
        check: async (runner, execution, { server, arn }) => {
            const id = runner.getOperation("webhook").getCallbackDetails().callbackId;
            const lines = JSON.parse(await durableCli(["logs", server.db, arn, "--json"]));
            return lines.some((l) => l.Function === "waitForCallback" &&
                                     l.Message.includes(`submitted ${id}`)) ? [] :
                [`no 'submitted ${id}' line in durable logs: ${JSON.stringify(lines)}`];
        },
        history: ["ExecutionStarted", "ContextStarted webhook", "CallbackStarted",
                  "StepStarted", "StepSucceeded", "InvocationCompleted", "CallbackSucceeded",
                  "ContextSucceeded webhook", "InvocationCompleted", "ExecutionSucceeded"],
    },
    {
        fn: "child",
        result: { total: 42 },
        history: ["ExecutionStarted", "ContextStarted order", "StepStarted price",
                  "StepSucceeded price", "WaitStarted settle", "InvocationCompleted",
                  "WaitSucceeded settle", "StepStarted tax", "StepSucceeded tax",
                  "ContextSucceeded order", "InvocationCompleted", "ExecutionSucceeded"],
        check: (runner) => expectEq(runner.getOperation("order").getContextDetails().result, 42,
                                    "order context result"),
    },
    {
        fn: "parallel",
        result: { results: ["A", "B", "C"], successCount: 3 },
        /* Every branch's context starts before any branch's step: the SDK
         * starts the branches, then their bodies run. */
        history: ["ExecutionStarted", "ContextStarted fan-out",
                  "ContextStarted a", "ContextStarted b", "ContextStarted c",
                  "StepStarted a-step", "StepStarted b-step", "StepStarted c-step",
                  "StepSucceeded a-step", "StepSucceeded b-step", "StepSucceeded c-step",
                  "ContextSucceeded a", "ContextSucceeded b", "ContextSucceeded c",
                  "ContextSucceeded fan-out", "InvocationCompleted", "ExecutionSucceeded"],
    },
    {
        fn: "map", payload: { items: [2, 3, 4] },
        result: { results: [4, 9, 16], total: 3 },
        /* maxConcurrency 2: the third item starts once the first two end. */
        history: ["ExecutionStarted", "ContextStarted squares",
                  "ContextStarted map-item-0", "ContextStarted map-item-1",
                  "StepStarted square-0", "StepStarted square-1",
                  "StepSucceeded square-0", "StepSucceeded square-1",
                  "ContextSucceeded map-item-0", "ContextSucceeded map-item-1",
                  "ContextStarted map-item-2", "StepStarted square-2",
                  "StepSucceeded square-2", "ContextSucceeded map-item-2",
                  "ContextSucceeded squares", "InvocationCompleted", "ExecutionSucceeded"],
    },
    {
        /* 1100 top-level steps, then a wait: more operations than a state
         * page and more events than a history page. */
        fn: "many", payload: { count: 1100 },
        result: { sum: 1208900, count: 1100 },
        history: (events) => {
            const p = [];
            const starts = events.filter((e) => e.EventType === "StepStarted").map((e) => e.Name);
            const ends = events.filter((e) => e.EventType === "StepSucceeded").map((e) => e.Name);
            const names = Array.from({ length: 1100 }, (_, i) => `s${i}`);
            p.push(...expectEq(events.length, 2206, "event count"));
            p.push(...expectEq(events.map((e) => e.EventId),
                               Array.from({ length: events.length }, (_, i) => i + 1),
                               "EventIds (each event once, in order, across the pages)"));
            p.push(...expectEq(starts, names, "StepStarted names in order"));
            p.push(...expectEq([...ends].sort(), [...names].sort(), "StepSucceeded names"));
            for (const n of names) /* each step's start comes before its end */
                if (events.findIndex((e) => e.Name === n) !==
                    events.findIndex((e) => e.Name === n && e.EventType === "StepStarted"))
                    p.push(`${n}: an event before its StepStarted`);
            p.push(...historyProblems([events[0], ...events.slice(-5)],
                                      ["ExecutionStarted", "WaitStarted breather",
                                       "InvocationCompleted", "WaitSucceeded breather",
                                       "InvocationCompleted", "ExecutionSucceeded"]));
            return p.slice(0, 5);
        },
        /* The second invocation's input could not hold every operation: the
         * SDK must have read the rest through the state route. */
        check: (runner, execution, { server, arn }) =>
            fs.readFileSync(server.logPath, "utf8").includes(
                `GET /2025-12-01/durable-executions/${encodeURIComponent(arn)}/state?`) ? [] :
                ["the SDK never called GetDurableExecutionState (serve.log)"],
    },
    {
        /* A handler that cannot be loaded: bootstrap.js reports it on
         * /runtime/init/error and exits; every invocation fails so, and the
         * execution fails after the server's re-invocations. */
        fn: "importError", handler: "no_such_module.handler",
        status: "FAILED",
        error: { errorType: "Runtime.ImportModuleError",
                 errorMessage: `Cannot find module 'no_such_module' in ${HERE}` },
        history: ["ExecutionStarted", "InvocationCompleted", "InvocationCompleted",
                  "InvocationCompleted", "InvocationCompleted", "InvocationCompleted",
                  "ExecutionFailed"],
        /* SPEC §8: five failed invocations in a row, each with the init error. */
        check: (runner, execution) => expectEq(
            execution.getInvocations().map((i) => i.error && i.error.errorType),
            Array(5).fill("Runtime.ImportModuleError"), "invocation errors"),
    },
    {
        /* An error thrown out of the handler, posted by bootstrap.js to
         * /invocation/{id}/error: each invocation fails with it, and so does
         * the execution after the fifth. */
        fn: "crash",
        status: "FAILED",
        error: { errorType: "TypeError", errorMessage: "boom" },
        history: ["ExecutionStarted", "InvocationCompleted", "InvocationCompleted",
                  "InvocationCompleted", "InvocationCompleted", "InvocationCompleted",
                  "ExecutionFailed"],
        check: (runner, execution) => expectEq(
            execution.getInvocations().map((i) => i.error && i.error.errorType),
            Array(5).fill("TypeError"), "invocation errors"),
    },
];

/* ---- helpers ------------------------------------------------------------ */

function expectEq(got, want, what) {
    return util.isDeepStrictEqual(got, want) ? [] :
        [`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`];
}

/* want may hold "any" for a value that only has to be present. */
function matches(got, want) {
    if (want === "any")
        return got !== undefined;
    if (want && typeof want === "object" && got && typeof got === "object") {
        const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
        return Array.isArray(want) === Array.isArray(got) &&
            [...keys].every((k) => matches(got[k], want[k]));
    }
    return util.isDeepStrictEqual(got, want);
}

function eventLabel(e, withName) {
    return withName && e.Name ? `${e.EventType} ${e.Name}` : e.EventType;
}

/* The history check: the same length and, at each position, the same type
 * (and name, when the expectation gives one). On a mismatch, both lists side
 * by side (with every name) and the differing rows marked. */
function historyProblems(events, want) {
    const rows = [];
    let bad = events.length !== want.length;
    for (let i = 0; i < Math.max(events.length, want.length); i++) {
        const w = want[i];
        const e = events[i];
        const ok = w !== undefined && e !== undefined && eventLabel(e, w.includes(" ")) === w;
        bad = bad || !ok;
        rows.push(`    ${ok ? " " : "!"} ${String(i + 1).padStart(2)}  ${(w || "").padEnd(32)} ` +
                  (e ? eventLabel(e, true) : ""));
    }
    return bad ? [`history differs (! marks a row; want | got):\n${rows.join("\n")}`] : [];
}

function withTimeout(promise, ms, what) {
    let t;
    const timeout = new Promise((_, reject) => {
        t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

/* ---- the server --------------------------------------------------------- */

async function startServer(dir) {
    const functions = {};
    for (const c of CASES)
        functions[c.fn] = {
            Command: `exec "${process.execPath}" "${path.join(HERE, "bootstrap.js")}"`,
            Handler: c.handler || `handlers.${c.fn}`,
            Environment: { NODE_PATH: NODE_MODULES, LAMBDA_TASK_ROOT: HERE, NODE_NO_WARNINGS: "1" },
        };
    const fpath = path.join(dir, "functions.json");
    fs.writeFileSync(fpath, JSON.stringify(functions));
    const port = await freePort();
    const logPath = path.join(dir, "serve.log");
    const log = fs.openSync(logPath, "a");
    const db = path.join(dir, "interop.db");
    const proc = spawn(DURABLE, ["serve", db, "--listen", `127.0.0.1:${port}`,
                                 "--functions", fpath, "--region", REGION, "--skip-time",
                                 "--auth", `${KEYS.accessKeyId}:${KEYS.secretAccessKey}`],
                       { stdio: ["ignore", "pipe", log] });
    const first = await new Promise((resolve) => {
        let buf = "";
        const done = (line) => { proc.stdout.removeAllListeners("data"); resolve(line); };
        proc.stdout.on("data", (d) => {
            buf += d;
            const nl = buf.indexOf("\n");
            if (nl >= 0)
                done(buf.slice(0, nl));
        });
        proc.on("exit", () => done(buf));
    });
    proc.stdout.resume(); /* the environment lines: not needed, the values are ours */
    if (!first.startsWith("durable serve:")) {
        proc.kill("SIGKILL");
        throw new Error(`durable serve did not start: ${JSON.stringify(first)} (log ${logPath})`);
    }
    return { proc, url: `http://127.0.0.1:${port}`, db, logPath };
}

function stopServer(server) {
    return new Promise((resolve) => {
        if (server.proc.exitCode !== null)
            return resolve(server.proc.exitCode);
        const kill = setTimeout(() => server.proc.kill("SIGKILL"), 10000);
        server.proc.on("exit", (code, sig) => { clearTimeout(kill); resolve(code ?? sig); });
        server.proc.kill("SIGTERM");
    });
}

function durableCli(args) {
    return new Promise((resolve, reject) => {
        execFile(DURABLE, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
            err ? reject(new Error(`durable ${args[0]}: ${stderr || err}`)) : resolve(stdout));
    });
}

/* ---- callbacks, answered through boto3 ----------------------------------- */

function sendCallbackWithBoto3(server, callbackId, how, json) {
    return new Promise((resolve, reject) => {
        execFile("python3", [path.join(HERE, "send_callback.py"), server.url, REGION, callbackId,
                             how, JSON.stringify(json)],
                 { env: { ...process.env, AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
                          AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey } },
                 (err, stdout, stderr) => err ? reject(new Error(`boto3 callback: ${stderr || err}`))
                                              : resolve(stdout.trim()));
    });
}

/* Waits (through the runner's history polling) for the callback of
 * answer.op to start, then answers it with boto3. */
async function answerCallback(server, runner, answer) {
    const op = await runner.getOperation(answer.op).waitForData(answer.status);
    const id = op.getCallbackDetails().callbackId;
    if (!id)
        throw new Error(`no callback id on ${answer.op}`);
    return answer.error ? sendCallbackWithBoto3(server, id, "fail", answer.error)
                        : sendCallbackWithBoto3(server, id, "succeed", answer.json);
}

/* The same execution read back through @aws-sdk/client-lambda's own
 * commands: listed under its function, and GetDurableExecution agreeing with
 * what the runner saw in the history. */
async function executionReadBack(client, c, execution, found) {
    const list = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: c.fn }));
    const items = list.DurableExecutions || [];
    if (items.length !== 1)
        return [`ListDurableExecutionsByFunction(${c.fn}): ${items.length} executions, want 1`];
    found.arn = items[0].DurableExecutionArn;
    const got = await client.send(new GetDurableExecutionCommand({
        DurableExecutionArn: items[0].DurableExecutionArn }));
    const region = got.DurableExecutionArn.split(":")[3];
    const problems = [
        ...expectEq(got.Status, execution.getStatus(), "GetDurableExecution Status"),
        ...expectEq(items[0].Status, execution.getStatus(), "listed Status"),
        ...expectEq(got.StartTimestamp instanceof Date && got.EndTimestamp instanceof Date, true,
                    "GetDurableExecution timestamps parsed as dates"),
        ...expectEq(String(got.FunctionArn).split(":")[3], region, "FunctionArn region"),
    ];
    if (execution.getStatus() === "SUCCEEDED")
        problems.push(...expectEq(JSON.parse(got.Result), execution.getResult(),
                                  "GetDurableExecution Result"));
    else
        problems.push(...expectEq(got.Error && got.Error.ErrorType, execution.getError().errorType,
                                  "GetDurableExecution Error.ErrorType"));
    return problems;
}

/* Waits for c.stop.op to start, then stops the execution with
 * StopDurableExecutionCommand (found by listing c.fn's executions). */
async function stopWhenStarted(client, runner, c) {
    await runner.getOperation(c.stop.op).waitForData(WaitingOperationStatus.STARTED);
    const list = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: c.fn }));
    const out = await client.send(new StopDurableExecutionCommand({
        DurableExecutionArn: list.DurableExecutions[0].DurableExecutionArn, Error: c.stop.error }));
    if (!(out.StopTimestamp instanceof Date))
        throw new Error(`StopDurableExecution: StopTimestamp ${out.StopTimestamp}`);
}

/* ---- one case ----------------------------------------------------------- */

async function runCase(server, client, c) {
    const runner = new CloudDurableTestRunner({
        functionName: c.fn,
        client,
        config: { pollInterval: 100,
                  invocationType: c.event ? InvocationType.Event : InvocationType.RequestResponse },
    });
    const problems = [];
    const running = runner.run(c.payload ? { payload: c.payload } : undefined);
    const answered = c.answer ? answerCallback(server, runner, c.answer)
        : c.stop ? stopWhenStarted(client, runner, c) : Promise.resolve();
    const [execution] = await withTimeout(Promise.all([running, answered]), CASE_TIMEOUT_MS, c.fn);
    const wantStatus = c.status || "SUCCEEDED";
    problems.push(...expectEq(execution.getStatus(), wantStatus, "status"));
    if (wantStatus === "SUCCEEDED") {
        const got = execution.getResult();
        if (!matches(got, c.result))
            problems.push(`result: got ${JSON.stringify(got)}, want ${JSON.stringify(c.result)}`);
    } else if (c.error) {
        const got = execution.getError();
        for (const k of Object.keys(c.error))
            problems.push(...expectEq(got[k], c.error[k], `error.${k}`));
    }
    problems.push(...(typeof c.history === "function" ? c.history(execution.getHistoryEvents())
                      : historyProblems(execution.getHistoryEvents(), c.history)));
    const found = {};
    problems.push(...await executionReadBack(client, c, execution, found));
    if (c.check && problems.length === 0)
        problems.push(...await c.check(runner, execution, { server, arn: found.arn }));
    return problems;
}

/* A request signed with a secret the server does not know: client-lambda
 * must raise InvalidSignatureException from the 403 (and nothing is run). */
async function badSignature(server) {
    const bad = new LambdaClient({ endpoint: server.url, region: REGION, maxAttempts: 1,
                                   credentials: { ...KEYS, secretAccessKey: "not-the-secret" } });
    try {
        await bad.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: "step" }));
        return ["a wrongly signed request was answered"];
    } catch (e) {
        return [...expectEq(e.name, "InvalidSignatureException", "error name"),
                ...expectEq(e.$metadata && e.$metadata.httpStatusCode, 403, "HTTP status")];
    } finally {
        bad.destroy();
    }
}

/* Sends cmd and expects client-lambda to raise the exception named want. */
async function expectRejected(client, cmd, want, what) {
    try {
        await client.send(cmd);
        return [`${what}: answered, want ${want}`];
    } catch (e) {
        return expectEq(e.name, want, `${what}: error name`);
    }
}

/* Errors client-lambda must recognise by name: a duplicate execution name
 * (the first Invoke with that name runs to its end), an unknown function, an
 * unknown callback id. */
async function clientErrors(client) {
    const named = (type) => new InvokeCommand({
        FunctionName: "step", InvocationType: type, Payload: JSON.stringify({ name: "again" }),
        DurableExecutionName: "interop-js-once" });
    const first = await client.send(named("RequestResponse"));
    return [
        ...expectEq(first.ExecutedVersion, "$LATEST", "named Invoke ExecutedVersion"),
        ...expectEq(new TextDecoder().decode(first.Payload), "\"Hello, again!\"", "named Invoke Payload"),
        ...expectEq(String(first.DurableExecutionArn).includes("/durable-execution/interop-js-once/"),
                    true, "named Invoke ARN holds the name"),
        ...await expectRejected(client, named("Event"), "DurableExecutionAlreadyStartedException",
                                "the same name again"),
        ...await expectRejected(client, new InvokeCommand({ FunctionName: "no-such-function" }),
                                "ResourceNotFoundException", "unknown function"),
        ...await expectRejected(client, new SendDurableExecutionCallbackSuccessCommand({
            CallbackId: "bm90LWEtY2FsbGJhY2s=", Result: new TextEncoder().encode("1") }),
                                "ResourceNotFoundException", "unknown callback id"),
    ];
}

async function main() {
    const started = Date.now();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "durable-interop-js-"));
    const only = process.argv.slice(2);
    const server = await startServer(dir);
    const client = new LambdaClient({ endpoint: server.url, region: REGION, credentials: KEYS });
    const checks = CASES.map((c) => ({ name: c.fn, run: () => runCase(server, client, c) }));
    checks.push({ name: "badSignature", run: () => badSignature(server) });
    checks.push({ name: "clientErrors", run: () => clientErrors(client) });
    let passed = 0;
    let failed = 0;
    try {
        for (const check of checks) {
            if (only.length && !only.includes(check.name))
                continue;
            const t0 = Date.now();
            let problems;
            try {
                problems = await check.run();
            } catch (e) {
                problems = [`error: ${e && e.stack ? e.stack : e}`];
            }
            const ms = Date.now() - t0;
            if (problems.length === 0) {
                passed++;
                console.log(`ok   ${check.name} (${ms} ms)`);
            } else {
                failed++;
                console.log(`FAIL ${check.name} (${ms} ms)`);
                for (const p of problems)
                    console.log(`    ${p}`);
            }
        }
    } finally {
        client.destroy();
        const code = await stopServer(server);
        if (code !== 0) {
            failed++;
            console.log(`FAIL durable serve stopped with ${code} (log ${server.logPath})`);
        }
    }
    if (failed)
        console.log(`server log and file kept in ${dir}`);
    else
        fs.rmSync(dir, { recursive: true, force: true });
    console.log(`interop-js: ${passed} passed, ${failed} failed ` +
                `(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.error(`interop-js: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
});
