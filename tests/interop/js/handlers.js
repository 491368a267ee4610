"use strict";
/*
 * Durable functions written with the unmodified official JS SDK
 * (@aws/durable-execution-sdk-js, from NODE_PATH), one export per interop
 * case. bootstrap.js serves them as `durable serve` function processes;
 * run.js drives them and checks their results and histories.
 */
const { withDurableExecution } = require("@aws/durable-execution-sdk-js");

/* One step: the result comes back through the invocation output. */
exports.step = withDurableExecution(async (event, ctx) => {
    return ctx.step("greet", async () => `Hello, ${event.name}!`);
});

/* A step that fails on its first two attempts and succeeds on the third:
 * each retry is a RETRY checkpoint, a delay the server skips, and a new
 * invocation. The attempt number comes from the SDK, so nothing in this
 * process needs to survive between invocations. */
exports.retry = withDurableExecution(async (event, ctx) => {
    return ctx.step("flaky", async (stepCtx) => {
        if (stepCtx.attempt < 3)
            throw new Error(`attempt ${stepCtx.attempt} fails`);
        return { attempt: stepCtx.attempt };
    }, {
        retryStrategy: (err, attempt) => ({ shouldRetry: attempt < 5, delay: { seconds: 2 } }),
    });
});

/* A step whose error is not retried: the execution fails with it. */
exports.fail = withDurableExecution(async (event, ctx) => {
    await ctx.step("doomed", async () => {
        const e = new Error("out of stock");
        e.name = "StockError";
        throw e;
    }, { retryStrategy: () => ({ shouldRetry: false }) });
    return "unreachable";
});

/* A step, a named wait (ends the invocation PENDING), and a step after it. */
exports.wait = withDurableExecution(async (event, ctx) => {
    const before = await ctx.step("before", async () => 1);
    await ctx.wait("pause", { seconds: 30 });
    const after = await ctx.step("after", async () => before + 1);
    return { before, after };
});

/* createCallback: the id is answered from outside (boto3 in run.js). */
exports.callback = withDurableExecution(async (event, ctx) => {
    const [answer, callbackId] = await ctx.createCallback("approval", { timeout: { minutes: 10 } });
    let reply;
    try {
        reply = JSON.parse(await answer);
    } catch (e) { /* a failure sent from outside */
        return { caught: e.name, message: e.message, cause: e.cause && e.cause.name,
                 data: e.errorData };
    }
    return { approved: reply.approved, by: reply.by, idLength: callbackId.length };
});

/* waitForCallback: the submitter runs as a step and sees the callback id. */
exports.waitForCallback = withDurableExecution(async (event, ctx) => {
    const reply = await ctx.waitForCallback("webhook", async (callbackId, c) => {
        c.logger.info(`submitted ${callbackId}`);
    }, { timeout: { minutes: 10 } });
    return { reply: JSON.parse(reply) };
});

/* A child context holding a step, a wait and a step. */
exports.child = withDurableExecution(async (event, ctx) => {
    const total = await ctx.runInChildContext("order", async (c) => {
        const a = await c.step("price", async () => 40);
        await c.wait("settle", { seconds: 5 });
        const b = await c.step("tax", async () => 2);
        return a + b;
    });
    return { total };
});

/* Three named branches, each a child context with one step. */
exports.parallel = withDurableExecution(async (event, ctx) => {
    const res = await ctx.parallel("fan-out", [
        { name: "a", func: async (c) => c.step("a-step", async () => "A") },
        { name: "b", func: async (c) => c.step("b-step", async () => "B") },
        { name: "c", func: async (c) => c.step("c-step", async () => "C") },
    ]);
    return { results: res.getResults(), successCount: res.successCount };
});

/* map over the event's items with at most two at once; each item a step. */
exports.map = withDurableExecution(async (event, ctx) => {
    const res = await ctx.map("squares", event.items, async (c, item, i) =>
        c.step(`square-${i}`, async () => item * item), { maxConcurrency: 2 });
    return { results: res.getResults(), total: res.totalCount };
});

/* Not a durable handler: its error leaves the handler, so bootstrap.js posts
 * it to /invocation/{id}/error and the invocation fails. */
exports.crash = async () => {
    throw new TypeError("boom");
};

/* Many operations: event.count steps started at once at the top level, then
 * a wait. The invocation after the wait starts from more operations than one
 * state page holds, so the SDK reads the rest with GetDurableExecutionState;
 * the history is longer than one page, so the runner follows NextMarker. */
exports.many = withDurableExecution(async (event, ctx) => {
    const items = Array.from({ length: event.count }, (_, i) => i);
    const doubled = await Promise.all(items.map((i) => ctx.step(`s${i}`, async () => i * 2)));
    await ctx.wait("breather", { seconds: 1 });
    return { sum: doubled.reduce((a, b) => a + b, 0), count: doubled.length };
});
