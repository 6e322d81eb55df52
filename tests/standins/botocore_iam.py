#!/usr/bin/env python3
"""
Sends IAM calls the way the aws CLI would (botocore, with its service model) to a scripted answer instead of the
network, and prints what botocore sent and what it read back: the form body of each request, and the answer as
botocore parses it (policy documents URL-decoded and read as JSON by its own handler).

  stdin:  {"calls": [{"operation": "GetRolePolicy", "params": {...}, "answer": "<GetRolePolicyResponse ..."}, ...]}
  stdout: [{"body": "Action=GetRolePolicy&...", "parsed": {...}}, ...]
"""
import json
import sys

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

spec = json.load(sys.stdin)
client = botocore.session.get_session().create_client(
    "iam", region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}))


class ScriptedBody:
    def __init__(self, data):
        self._data = data

    def stream(self, **_):
        yield self._data


results = []
answers = []


def answer(request, **_):
    body = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
    results.append({"body": body})
    return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, ScriptedBody(answers.pop(0).encode()))


client.meta.events.register("before-send.iam.*", answer)
for call in spec["calls"]:
    answers.append(call["answer"])
    parsed = getattr(client, botocore.xform_name(call["operation"]))(**call["params"])
    parsed.pop("ResponseMetadata", None)
    results[-1]["parsed"] = parsed
print(json.dumps(results, default=str))
