#!/usr/bin/env node
// SigV4 test vectors from the official JS client (@aws-sdk/client-lambda, the
// client the JS durable SDK and its cloud test runner use), for
// tests/test_http_sigv4.c.
//
// Each command of HTTP_API.md 6.2 goes through the client's whole middleware
// stack and signer with fixed credentials and a fixed clock; a request handler
// that never sends records the signed request as the wire would carry it (the
// query string built the way the client's node HTTP handler builds it).
//
//   make BUILD=build npm-deps
//   node tests/data/sigv4/gen_js.cjs build/npm/node_modules > tests/data/sigv4/js.json
"use strict";
const path = require("node:path");
const modules = path.resolve(process.argv[2] || "build/npm/node_modules");
const need = (m) => require(path.join(modules, m));
const L = need("@aws-sdk/client-lambda");
const { buildQueryString } = need("@smithy/core/protocols");
const version = need("@aws-sdk/client-lambda/package.json").version;

const KEYS = {
  AKIDLOCALEXAMPLE: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  AKIDSECONDKEY0002: "Zq3/+secondSecretWith/Slashes+Plus=",
};
const ARN = "arn:aws:lambda:us-west-2:123456789012:function:StepBasic:$LATEST/durable-execution/" +
  "3a7a1ba5-4c3b-4e0e-9d6f-1f2a3b4c5d6e/82b7d488-0d7e-4a39-8f55-9d0b1c2d3e4f";
const ARN2 = "arn:aws:lambda:eu-central-1:210987654321:function:Order-Flow_2:7/durable-execution/" +
  "my-exec.1/0f0e0d0c-0b0a-4908-8706-050403020100";
const CB1 = Buffer.from([0xfb, 0xff, 0x01, ...Buffer.from("callback-1"), 0, 2, 0x3e, 0x3f]).toString("base64");
const CB2 = Buffer.concat([Buffer.from("cb-two-"), Buffer.from([250, 251, 252, 253, 254, 255])]).toString("base64");
const CLOCKS = [Date.UTC(2026, 11, 6, 21, 0, 10), Date.UTC(2026, 11, 31, 23, 59, 59),
  Date.UTC(2027, 0, 1, 0, 0, 0), Date.UTC(2026, 1, 28, 12, 34, 56)];
const enc = new TextEncoder();

function calls() {
  const upd = [{ Id: "c4ca4238a0b92382", Type: "STEP", Action: "START", Name: "greet", SubType: "Step" },
    { Id: "c4ca4238a0b92382", Type: "STEP", Action: "SUCCEED", Name: "greet", SubType: "Step", Payload: "\"Hello\"" }];
  return [
    ["checkpoint", L.CheckpointDurableExecutionCommand, { DurableExecutionArn: ARN, CheckpointToken: "Ha33hILjUnMELZn/", Updates: upd, ClientToken: "2294d055-0000-4000-8000-000000000001" }],
    ["checkpoint_wait", L.CheckpointDurableExecutionCommand, { DurableExecutionArn: ARN2, CheckpointToken: "x4oA+/==", Updates: [{ Id: "c81e728d9d4c2f63", Type: "WAIT", Action: "START", SubType: "Wait", Name: "\u00e9t\u00e9", WaitOptions: { WaitSeconds: 1 } }] }],
    ["state", L.GetDurableExecutionStateCommand, { DurableExecutionArn: ARN, CheckpointToken: "JXqFdkaN48WQSWp/", Marker: "page-2", MaxItems: 1000 }],
    ["state_plus_token", L.GetDurableExecutionStateCommand, { DurableExecutionArn: ARN2, CheckpointToken: "a+b/c==d e" }],
    ["get", L.GetDurableExecutionCommand, { DurableExecutionArn: ARN }],
    ["history", L.GetDurableExecutionHistoryCommand, { DurableExecutionArn: ARN, IncludeExecutionData: true, MaxItems: 1000 }],
    ["history_paged", L.GetDurableExecutionHistoryCommand, { DurableExecutionArn: ARN2, MaxItems: 50, ReverseOrder: false, Marker: "m=1&x" }],
    ["stop", L.StopDurableExecutionCommand, { DurableExecutionArn: ARN, Error: { ErrorType: "Stopped", ErrorMessage: "by test" } }],
    ["list", L.ListDurableExecutionsByFunctionCommand, { FunctionName: "StepBasic", StartedAfter: new Date(0), Statuses: ["SUCCEEDED", "RUNNING"] }],
    ["list_by_arn", L.ListDurableExecutionsByFunctionCommand, { FunctionName: "arn:aws:lambda:us-west-2:123456789012:function:StepBasic", Qualifier: "$LATEST", DurableExecutionName: "n\u00e4me+x", Marker: "abc/def+ghi==" }],
    ["callback_succeed", L.SendDurableExecutionCallbackSuccessCommand, { CallbackId: CB1, Result: enc.encode("{\"ok\":1}") }],
    ["callback_succeed_binary", L.SendDurableExecutionCallbackSuccessCommand, { CallbackId: CB2, Result: Uint8Array.from({ length: 256 }, (_, i) => i) }],
    ["callback_fail", L.SendDurableExecutionCallbackFailureCommand, { CallbackId: CB1, Error: { ErrorType: "MyErr", ErrorMessage: "boom", ErrorData: "{\"a\":1}", StackTrace: ["l1", "l2"] } }],
    ["callback_heartbeat", L.SendDurableExecutionCallbackHeartbeatCommand, { CallbackId: CB2 }],
    ["invoke_event", L.InvokeCommand, { FunctionName: "CallbackBasic", InvocationType: "Event", Qualifier: "$LATEST", Payload: enc.encode("\"jqt3dqutr1\"") }],
    ["invoke_named", L.InvokeCommand, { FunctionName: "StepBasic", DurableExecutionName: "my-exec-1", Payload: enc.encode("{\"name\":\"World\"}") }],
    ["invoke_tenant", L.InvokeCommand, { FunctionName: "StepBasic:7", TenantId: "tenant a/b", Payload: enc.encode(JSON.stringify({ big: "y".repeat(2000) })) }],
  ];
}

class Captured extends Error {}

async function main() {
  const out = [];
  const endpoints = [["http://127.0.0.1:9009", "us-west-2"], ["http://localhost:8080", "eu-central-1"]];
  let n = 0;
  for (const [endpoint, region] of endpoints) {
    for (const [keyId, secret] of Object.entries(KEYS)) {
      let captured = null;
      const client = new L.LambdaClient({
        region, endpoint, maxAttempts: 1,
        credentials: { accessKeyId: keyId, secretAccessKey: secret },
        requestHandler: { handle: async (req) => { captured = req; throw new Captured("captured"); } },
      });
      for (const [name, Cmd, input] of calls()) {
        const clock = CLOCKS[n++ % CLOCKS.length];
        const realNow = Date.now;
        Date.now = () => clock;
        try { await client.send(new Cmd(input)); } catch (e) { if (!(e instanceof Captured)) throw e; }
        finally { Date.now = realNow; }
        const req = captured;
        let body = req.body;
        if (body === undefined || body === null) body = Buffer.alloc(0);
        else if (typeof body === "string") body = Buffer.from(body, "utf8");
        else body = Buffer.from(body);
        out.push({
          name: `js/${name}/${region}/${keyId}`,
          client: `@aws-sdk/client-lambda ${version}`,
          key_id: keyId,
          secret,
          method: req.method,
          path: req.path,
          query: req.query ? buildQueryString(req.query) : "",
          headers: Object.entries(req.headers),
          body_b64: body.toString("base64"),
        });
      }
    }
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}
main().catch((e) => { console.error(e); process.exit(1); });
