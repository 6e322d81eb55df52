#!/usr/bin/env python3
"""
Serialises S3 Control requests the way the aws CLI would send them (botocore, with its service model), without
sending anything, and prints them as JSON: method, URL, the headers that matter, and the body.

  stdin:  {"endpoint": "...", "region": "...", "calls": [{"operation": "CreateJob", "params": {...}}, ...]}
  stdout: [{"method": ..., "url": ..., "headers": {...}, "body": ...}, ...]
"""
import json
import sys

import botocore.session
from botocore.config import Config

spec = json.load(sys.stdin)
session = botocore.session.get_session()
client = session.create_client(
    "s3control", region_name=spec["region"], endpoint_url=spec.get("endpoint"),
    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}))
captured = []


class Captured(Exception):
    pass


def capture(request, **_):
    captured.append({
        "method": request.method,
        "url": request.url,
        "headers": {name.lower(): (value.decode() if isinstance(value, bytes) else value)
                    for name, value in request.headers.items()
                    if name.lower() in ("x-amz-account-id", "content-type", "content-md5", "host")},
        "body": (request.body.decode() if isinstance(request.body, bytes) else (request.body or "")),
    })
    raise Captured()


client.meta.events.register("before-send.s3-control.*", capture)
for call in spec["calls"]:
    try:
        getattr(client, botocore.xform_name(call["operation"]))(**call["params"])
    except Captured:
        pass
print(json.dumps(captured))
