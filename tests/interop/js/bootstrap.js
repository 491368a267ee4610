"use strict";
/*
 * A Node.js Lambda runtime for `durable serve`: loads the handler named by
 * _HANDLER ("dir/file.export", resolved from LAMBDA_TASK_ROOT, as Lambda's
 * Node runtime does) and serves invocations from the Runtime API at
 * AWS_LAMBDA_RUNTIME_API until the server ends it.
 *
 * Used by the interop tests to run handlers written with the unmodified
 * official JS SDK as function processes. Only Node's own modules: the
 * function's packages come from NODE_PATH.
 */
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const [API_HOST, API_PORT] = splitHostPort(process.env.AWS_LAMBDA_RUNTIME_API || "");
const PREFIX = "/2018-06-01/runtime";
/* One keep-alive connection, as a Lambda runtime holds to its API. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function splitHostPort(s) {
    const i = s.lastIndexOf(":");
    return i < 0 ? [s, 80] : [s.slice(0, i), Number(s.slice(i + 1))];
}

function request(method, route, body, headers) {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(body);
        const h = Object.assign({}, headers);
        if (data) {
            h["Content-Type"] = "application/json";
            h["Content-Length"] = data.length;
        }
        const req = http.request(
            { host: API_HOST, port: API_PORT, method, path: PREFIX + route, headers: h, agent },
            (res) => {
                const chunks = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () =>
                    resolve({ status: res.statusCode, headers: res.headers,
                              body: Buffer.concat(chunks).toString("utf8") }));
                res.on("error", reject);
            });
        req.on("error", reject);
        req.end(data);
    });
}

/* The error body every Lambda runtime posts: message, type and the stack as lines. */
function errorBody(err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return JSON.stringify({
        errorMessage: e.message,
        errorType: e.name || "Error",
        stackTrace: String(e.stack || "").split("\n").slice(1).map((l) => l.trim()),
    });
}

/* "lib/app.handlers.run" -> module lib/app, export path handlers.run: the
 * module name ends at the first dot after the last slash, as in Lambda. */
async function loadHandler(spec) {
    const slash = spec.lastIndexOf("/");
    const dot = spec.indexOf(".", slash + 1);
    if (dot < 0)
        throw Object.assign(new Error(`Bad handler '${spec}': expected FILE.EXPORT`),
                            { name: "Runtime.MalformedHandlerName" });
    const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
    const base = path.resolve(root, spec.slice(0, dot));
    const file = [".js", ".cjs", ".mjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
    if (!file)
        throw Object.assign(new Error(`Cannot find module '${spec.slice(0, dot)}' in ${root}`),
                            { name: "Runtime.ImportModuleError" });
    let mod;
    try {
        mod = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : require(file);
    } catch (e) { /* the file is there but does not load: a syntax error, a missing package */
        throw Object.assign(e instanceof Error ? e : new Error(String(e)),
                            { name: "Runtime.ImportModuleError" });
    }
    let fn = mod;
    for (const key of spec.slice(dot + 1).split("."))
        fn = fn == null ? undefined : fn[key];
    if (typeof fn !== "function")
        throw Object.assign(new Error(`${spec} is undefined or not exported`),
                            { name: "Runtime.HandlerNotFound" });
    return fn;
}

function makeContext(res) {
    const deadline = Number(res.headers["lambda-runtime-deadline-ms"] || 0);
    return {
        awsRequestId: res.headers["lambda-runtime-aws-request-id"],
        invokedFunctionArn: res.headers["lambda-runtime-invoked-function-arn"],
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME || "",
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION || "$LATEST",
        memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || "128",
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME || "",
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME || "local",
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
}

/* Calls the handler, promise-style or (with three parameters) callback-style. */
function callHandler(fn, event, ctx) {
    if (fn.length >= 3)
        return new Promise((resolve, reject) => {
            const r = fn(event, ctx, (err, out) => (err ? reject(err) : resolve(out)));
            if (r && typeof r.then === "function")
                r.then(resolve, reject);
        });
    return Promise.resolve().then(() => fn(event, ctx));
}

let current = null; /* the request id being served, for a crash mid-invocation */

async function fatal(err) {
    try {
        if (current)
            await request("POST", `/invocation/${current}/error`, errorBody(err),
                          { "Lambda-Runtime-Function-Error-Type": "Runtime.UnhandledPromiseRejection" });
    } finally {
        process.exit(1);
    }
}

async function main() {
    process.on("uncaughtException", fatal);
    process.on("unhandledRejection", fatal);
    let fn;
    try {
        fn = await loadHandler(process.env._HANDLER || "");
    } catch (e) {
        console.error(`init error: ${e.name}: ${e.message}`);
        await request("POST", "/init/error", errorBody(e),
                      { "Lambda-Runtime-Function-Error-Type": e.name || "Runtime.ImportModuleError" });
        process.exit(1);
    }
    for (;;) {
        const next = await request("GET", "/invocation/next");
        if (next.status !== 200)
            return; /* the server is ending this process */
        const rid = next.headers["lambda-runtime-aws-request-id"];
        if (next.headers["lambda-runtime-trace-id"])
            process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
        current = rid;
        let out;
        let failed = null;
        try {
            const result = await callHandler(fn, JSON.parse(next.body || "null"), makeContext(next));
            out = JSON.stringify(result === undefined ? null : result);
        } catch (e) {
            failed = e;
        }
        if (failed)
            await request("POST", `/invocation/${rid}/error`, errorBody(failed),
                          { "Lambda-Runtime-Function-Error-Type": (failed && failed.name) || "Error" });
        else
            await request("POST", `/invocation/${rid}/response`, out);
        current = null;
    }
}

main().then(() => process.exit(0), (e) => {
    console.error(`runtime API error: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
});
