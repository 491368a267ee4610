"""Answers a durable callback through boto3, as an external system would:
send_callback.py ENDPOINT REGION CALLBACK_ID succeed RESULT_JSON
send_callback.py ENDPOINT REGION CALLBACK_ID fail ERROR_OBJECT_JSON

run.js calls it once it has seen the callback's id in the execution's
history; AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY come from its environment.
A heartbeat goes first each time. Prints the RequestId botocore read from
the answer.
"""
import json
import sys

import boto3


def main():
    endpoint, region, callback_id, how, body = sys.argv[1:6]
    client = boto3.client("lambda", endpoint_url=endpoint, region_name=region)
    client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    if how == "succeed":
        resp = client.send_durable_execution_callback_success(CallbackId=callback_id,
                                                              Result=body.encode())
    elif how == "fail":
        resp = client.send_durable_execution_callback_failure(CallbackId=callback_id,
                                                              Error=json.loads(body))
    else:
        raise SystemExit("send_callback.py: succeed or fail, not %r" % how)
    print(resp["ResponseMetadata"]["RequestId"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
