#!/usr/bin/env python3
"""
Serialises S3 requests the way the aws CLI would send them (botocore, with its service model and its checksum rules, to
AWS's endpoint for the region, path-style), without sending anything, and prints them as JSON: method, URL, every header, and the body.

  stdin:  {"region": "...", "checksums": "when_supported" | "when_required", "calls": [{"operation": "PutObject", "params": {...}}, ...]}
  stdout: [{"method": ..., "url": ..., "headers": {...}, "body": ...}, ...]

A "Body" parameter is given as text and sent as its UTF-8 bytes. A body that is sent in aws-chunked frames (a trailing
checksum) is printed as framed, so the framing can be compared too.
"""
import json
import sys

import botocore.session
from botocore.config import Config

spec = json.load(sys.stdin)
session = botocore.session.get_session()
client = session.create_client(
    "s3", region_name=spec["region"],
    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"},
                  request_checksum_calculation=spec["checksums"], response_checksum_validation=spec["checksums"]))
captured = []


class Captured(Exception):
    pass


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def capture(request, **_):
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    captured.append({
        "method": request.method,
        "url": request.url,
        "headers": {name.lower(): text(value) for name, value in request.headers.items()},
        "body": text(body or b""),
    })
    raise Captured()


client.meta.events.register("before-send.s3.*", capture)
for call in spec["calls"]:
    params = dict(call["params"])
    if "Body" in params:
        params["Body"] = params["Body"].encode("utf-8")
    try:
        getattr(client, botocore.xform_name(call["operation"]))(**params)
    except Captured:
        pass
print(json.dumps(captured))
