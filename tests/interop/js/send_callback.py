"""Answers a durable callback through boto3, as an external system would:
send_callback.py ENDPOINT REGION CALLBACK_ID RESULT_JSON

run.js calls it once it has seen the callback's id in the execution's
history; AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY come from its environment.
Prints the RequestId botocore read from the answer.
"""
import sys

import boto3


def main():
    endpoint, region, callback_id, result = sys.argv[1:5]
    client = boto3.client("lambda", endpoint_url=endpoint, region_name=region)
    resp = client.send_durable_execution_callback_success(CallbackId=callback_id,
                                                          Result=result.encode())
    print(resp["ResponseMetadata"]["RequestId"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
