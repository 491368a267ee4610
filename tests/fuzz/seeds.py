#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Run from the repository root: python3 tests/fuzz/seeds.py [path/to/HTTP_API.md]
 - wire: every JSON document found in the test suites' C string literals and
   in the captured requests and responses of HTTP_API.md;
 - ids: tokens and callback ids minted the way src/model/token.c mints them,
   paging markers, ARNs, timestamps, base64 and enum names;
 - checkpoint: the captured checkpoint bodies (JSON lines) and byte programs
   (see tests/fuzz/fuzz_checkpoint.c) for steps, retries, waits, callbacks,
   child contexts, chained invokes, stop and invocation errors;
 - sigv4: signed requests shaped like the captured botocore and JS ones;
 - http: a request of every route of the front, valid-looking and not.
Files are named by the SHA-1 of their bytes, so rerunning changes nothing."""
import base64, glob, hashlib, json, os, re, sys

ROOT = 'tests/fuzz/corpus'


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), 'wb') as f:
        f.write(data)


def c_strings(text):
    """Adjacent C string literals joined, unescaped (simple escapes only)."""
    out = []
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        s = ''.join(parts)
        try:
            s = s.encode('latin-1', 'backslashreplace').decode('unicode_escape')
        except Exception:
            continue
        out.append(s)
    return out


def json_docs():
    docs = {}
    for path in sorted(glob.glob('tests/*.c')):
        for s in c_strings(open(path, encoding='utf-8', errors='replace').read()):
            s = s.strip()
            if len(s) < 2 or s[0] not in '{[':
                continue
            try:
                v = json.loads(s)
            except Exception:
                continue
            docs[json.dumps(v, separators=(',', ':'))] = v
    return docs


def md_docs(path):
    docs = {}
    if not os.path.exists(path):
        return docs
    text = open(path, encoding='utf-8').read()
    for m in re.finditer(r'(\{"[A-Za-z_]+".*?\})(?=\s*$|`|\n)', text, re.M | re.S):
        s = m.group(1).replace('…', '')
        for end in range(len(s), 1, -1):
            try:
                v = json.loads(s[:end])
            except Exception:
                continue
            docs[json.dumps(v, separators=(',', ':'))] = v
            break
    return docs


def checksum(kind, a, b, c):
    h = hashlib.sha256()
    for p in (kind, a, b, c):
        h.update(p.encode() + b'\0')
    return h.hexdigest()[:16]


def token(arn, seq, inv):
    body = {'arn': arn, 'seq': seq, 'inv': inv, 'sum': checksum('tok', arn, str(seq), inv)}
    return base64.b64encode(json.dumps(body, separators=(',', ':')).encode()).decode()


def callback_id(arn, op, n):
    body = {'arn': arn, 'op': op, 'n': n, 'sum': checksum('cb', arn, op, n)}
    return base64.b64encode(json.dumps(body, separators=(',', ':')).encode()).decode()


def marker(obj):
    return base64.b64encode(json.dumps(obj, separators=(',', ':')).encode()).decode()


ARN = ('arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/'
       'fuzz-ids/2f4a9a8e-5a51-4c39-9e1b-1a3f3c1d2b10')


def ids_seeds():
    yield token(ARN, 0, '7b0c2c48-1d0c-4c1b-8d0e-7c2b9b5b1a11')
    yield token(ARN, 3, 'inv-1')
    yield token('arn:"quoted"\\', 9007199254740992, 'i')
    yield callback_id(ARN, 'c4ca4238a0b92382', '5d1f2a33-0b8e-4d5a-9f42-6c1d2e3f4a5b')
    yield marker({'seq': 1, 'after': 2})
    yield marker({'event': 3})
    yield marker({'start': 1767225600000, 'id': 4})
    yield marker({'seq': 1e300, 'after': -1})
    yield 'page-2'
    yield ARN
    yield 'arn:aws:lambda:us-west-2:123456789012:function:StepBasic:$LATEST/durable-execution/my-exec-1/82b7d488'
    yield '2026-01-01T00:00:00.123Z'
    yield '2026-12-06T21:00:10+02:30'
    yield '1796590810.13'
    yield 'aGVsbG8='
    yield 'QR=='
    yield 'CHAINED_INVOKE'
    yield 'InvocationCompleted'


# Byte programs of fuzz_checkpoint.c: a command is [op, arg, updates...]; an
# update is 7 bytes [type + 7*action, id + 9*parent_on + 36*parent,
# payload + 7*error, name + 4*subtype, options, n1, n2].
T = {'EXECUTION': 1, 'CONTEXT': 2, 'STEP': 3, 'WAIT': 4, 'CALLBACK': 5, 'CHAINED_INVOKE': 6}
A = {'START': 1, 'SUCCEED': 2, 'FAIL': 3, 'RETRY': 4, 'CANCEL': 5}
EXEC_ID = 5  # pool index of the EXECUTION operation id


def upd(t, a, ident=0, parent=None, payload=0, error=0, name=0, subtype=0, opts=0, n1=0, n2=0):
    b1 = ident + (9 * 1 + 36 * parent if parent is not None else 0)
    return [T[t] + 7 * A[a], b1, payload + 7 * error, name + 4 * subtype, opts, n1, n2]


def cp(*updates, client=False, page=0):
    return [0, len(updates) | (page << 5) | (0x80 if client else 0)] + sum(updates, [])


COMPLETE_OK, COMPLETE_PENDING, INVOKE = [7, 1], [7, 3], [9, 0]
# numbers[] of fuzz_checkpoint.c: 0:-1 1:0 2:1 3:2 4:5 5:60 6:3600 7:31622400 8:31622401 9:max


def checkpoint_programs():
    yield cp(upd('STEP', 'START'), upd('STEP', 'SUCCEED', payload=1)) + COMPLETE_OK
    yield cp(upd('WAIT', 'START', n1=5)) + COMPLETE_PENDING + [6, 1, 11, 0] + INVOKE + COMPLETE_OK
    yield cp(upd('CALLBACK', 'START', 1, n1=5, n2=4)) + [8, 0] + COMPLETE_PENDING + INVOKE + \
        [8, 0x40] + COMPLETE_OK
    yield cp(upd('CALLBACK', 'START', 2, n1=2, n2=0)) + COMPLETE_PENDING + [6, 0] + [11, 1]
    yield cp(upd('STEP', 'START'), upd('STEP', 'RETRY', error=1, opts=0, n1=2)) + \
        COMPLETE_PENDING + [6, 0] + INVOKE + cp(upd('STEP', 'START'), upd('STEP', 'FAIL', error=1))
    yield cp(upd('CONTEXT', 'START', 0), upd('STEP', 'START', 3, parent=0),
             upd('STEP', 'SUCCEED', 3, parent=0, payload=2),
             upd('CONTEXT', 'SUCCEED', 0, payload=1)) + [11, 0]
    yield cp(upd('CHAINED_INVOKE', 'START', 1, opts=0, n2=1)) + COMPLETE_PENDING + [11, 2]
    yield cp(upd('WAIT', 'START', 2, n1=6), client=True) + \
        cp(upd('WAIT', 'CANCEL', 2)) + [10, 0]
    yield cp(upd('EXECUTION', 'SUCCEED', EXEC_ID, payload=1)) + COMPLETE_OK
    yield cp(upd('STEP', 'START', 1, name=2, subtype=1)) + [7, 0x41] + INVOKE + [7, 0x49]
    yield cp() + cp(upd('STEP', 'START', 8)) + cp(upd('WAIT', 'START', 1, n1=8))
    yield cp(upd('STEP', 'SUCCEED', 4, payload=4)) + cp(upd('CALLBACK', 'START', 3, n1=9, n2=9))
    yield [6, 3] + [6, 3] + [11, 3]


# fuzz_sigv4.c: Authorization, method, raw path, raw query, headers, blank line, body;
# shaped like the botocore and JS requests captured in HTTP_API.md §4.3.
ARN_PCT = ('arn%3Aaws%3Alambda%3Aus-west-2%3A123456789012%3Afunction%3AStepBasic%3A%24LATEST'
           '%2Fdurable-execution%2F3a7a1ba5%2F82b7d488')
SIG = 'aebc19' * 10 + 'aebc'


def sigv4_seeds():
    body = '{"CheckpointToken":"Ha33hILjUnMELZn/","Updates":[]}'
    yield '\n'.join([
        'AWS4-HMAC-SHA256 Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request, '
        'SignedHeaders=content-type;host;x-amz-date, Signature=' + SIG,
        'POST', '/2025-12-01/durable-executions/%s/checkpoint' % ARN_PCT, '',
        'content-type: application/json', 'host: 127.0.0.1:9009', 'x-amz-date: 20261206T210010Z',
        '', body])
    yield '\n'.join([
        'AWS4-HMAC-SHA256 Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request, '
        'SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;'
        'x-amz-content-sha256;x-amz-date;x-amz-user-agent, Signature=' + SIG,
        'POST', '/2025-12-01/durable-executions/%s/checkpoint' % ARN_PCT, '',
        'amz-sdk-invocation-id: a11eb1a1-0000-4000-8000-000000000000',
        'amz-sdk-request: attempt=1; max=3', 'content-length: %d' % len(body),
        'content-type: application/json', 'host: 127.0.0.1:9009',
        'x-amz-content-sha256: ' + hashlib.sha256(body.encode()).hexdigest(),
        'x-amz-date: 20261206T210010Z', 'x-amz-user-agent: aws-sdk-js/3.1177.0', '', body])
    yield '\n'.join([
        'AWS4-HMAC-SHA256 Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request,'
        'SignedHeaders=host;x-amz-date,Signature=' + SIG,
        'GET', '/2025-12-01/durable-executions/%s/state' % ARN_PCT,
        'CheckpointToken=JXqFdkaN48WQSWp%2F&Marker=page-2&MaxItems=1000',
        'host: 127.0.0.1:9009', 'x-amz-date: 20261206T210010Z', ''])
    yield '\n'.join([
        'AWS4-HMAC-SHA256 Credential=AKIDLOCALEXAMPLE/20261206/us-west-2/lambda/aws4_request, '
        'SignedHeaders=host;x-amz-date, Signature=' + SIG,
        'GET', '/2025-12-01/functions/StepBasic/durable-executions',
        'Qualifier=%24LATEST&Statuses=RUNNING&Statuses=SUCCEEDED&StartedAfter=2026-01-01T00%3A00%3A00Z'
        '&ReverseOrder=true&MaxItems=10', 'host: 127.0.0.1:9009', 'x-amz-date: 20261206T210010Z', ''])


# fuzz_http.c: method, raw path, raw query, headers, blank line, body.
ECHO_ARN = ('arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3AEcho%3A%24LATEST'
            '%2Fdurable-execution%2Ffz-1%2F82b7d488-0000-4000-8000-000000000000')


def http_seeds():
    ex = '/2025-12-01/durable-executions/' + ECHO_ARN
    cb = '/2025-12-01/durable-execution-callbacks/' + callback_id(ARN, 'c4ca4238a0b92382', 'n').replace('=', '%3D')
    yield 'POST\n/2015-03-31/functions/Echo/invocations\nQualifier=%24LATEST\n\n{"a":1}'
    yield ('POST\n/2015-03-31/functions/Echo/invocations\n\nX-Amz-Invocation-Type: Event\n'
           'X-Amz-Durable-Execution-Name: fz-1\n\n"World"')
    yield 'POST\n/2015-03-31/functions/Nope/invocations\n\n\n{'
    yield 'GET\n' + ex + '\n\n'
    yield 'GET\n' + ex + '/history\nIncludeExecutionData=true&MaxItems=2&ReverseOrder=false\n'
    yield 'GET\n' + ex + '/state\nCheckpointToken=JXqFdkaN48WQSWp%2F&Marker=page-2&MaxItems=1000\n'
    yield ('POST\n' + ex + '/checkpoint\n\nContent-Type: application/json\n\n'
           '{"CheckpointToken":"Ha33hILjUnMELZn/","Updates":[{"Id":"c81e728d9d4c2f63","Type":"WAIT",'
           '"Action":"START","SubType":"Wait","WaitOptions":{"WaitSeconds":1}}],"ClientToken":"2294d055"}')
    yield 'POST\n' + ex + '/stop\n\n\n{"ErrorType":"Stopped","ErrorMessage":"by test"}'
    yield ('GET\n/2025-12-01/functions/Echo/durable-executions\nQualifier=%24LATEST&Statuses=RUNNING'
           '&Statuses=SUCCEEDED&StartedAfter=2026-01-01T00%3A00%3A00Z&ReverseOrder=true&MaxItems=10\n')
    yield 'POST\n' + cb + '/succeed\n\n\n"3nwd1gkjmlin"'
    yield ('POST\n' + cb + '/fail\n\nContent-Type: application/json\n\n'
           '{"ErrorType":"MyErr","ErrorMessage":"boom","ErrorData":"{\\"a\\":1}","StackTrace":["l1"]}')
    yield 'POST\n' + cb + '/heartbeat\n\n'
    yield 'GET\n/2025-12-01/durable-executions/%zz/history\n%G1=%\n'
    yield 'DELETE\n' + ex + '\n\n'


def main():
    md = sys.argv[1] if len(sys.argv) > 1 else '../shared/HTTP_API.md'
    docs = json_docs()
    docs.update(md_docs(md))
    for text in sorted(docs):
        write('wire', text)
    for s in ids_seeds():
        write('ids', s)
    bodies = [t for t, v in docs.items() if isinstance(v, dict) and 'Updates' in v]
    for text in bodies:
        write('checkpoint', text)
    if bodies:
        write('checkpoint', '\n'.join(bodies[:4]))
    for prog in checkpoint_programs():
        write('checkpoint', bytes(b & 0xff for b in prog))
    for s in sigv4_seeds():
        write('sigv4', s)
    for s in http_seeds():
        write('http', s)
    for t in ('wire', 'ids', 'checkpoint', 'sigv4', 'http'):
        print('%s: %d seeds' % (t, len(os.listdir(os.path.join(ROOT, t)))))


if __name__ == '__main__':
    main()
