#!/usr/bin/env python3
"""
Makes an S3 Inventory delivery of a bucket, as S3 Inventory writes one (the user guide's "Inventory list" and
"Inventory manifest"), for the planning bench (issue 23): lists --bucket at --list-endpoint with boto3 (the listing
stand-in, tests/standins/listing.py, set to no latency first), writes the current objects as CSV (GZIP) data files
with the fileSchema "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass" (every field quoted, keys form-URL-encoded
as Java's URLEncoder writes them, ETags bare, times in ms), and uploads them with manifest.json (sourceBucket,
destinationBucket ARN, version, creationTimestamp in ms, fileFormat, fileSchema, files[key, size, MD5checksum]) and
manifest.checksum (the hex MD5 of manifest.json) to --inventory-bucket at --s3-endpoint, under
<bucket>/<--configuration>/<YYYY-MM-DDTHH-MMZ>/ (data files under <bucket>/<--configuration>/data/), as S3 does.

The records are shuffled (seeded) and split into --files files, so the reader's external sort has work to do (S3
promises no order within or across an inventory's files).

The listing is read with dummy keys (the stand-in checks none); the S3 server's keys come from the environment:
S3_ACCESS_KEY and S3_SECRET_KEY. Prints one JSON line: {"Bucket", "Manifest" (s3://...), "Records", "Files",
"Bytes" (gzip bytes of all data files), "ListSeconds", "WriteSeconds"}.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import time
import uuid
from datetime import datetime, timezone

import boto3
from botocore.config import Config

SCHEMA = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"
UNRESERVED = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def encode_key(key):
    """Form URL encoding as Java's URLEncoder writes it (S3 Inventory's CSV keys): a space as '+', '/' encoded too."""
    out = []
    for byte in key.encode("utf-8"):
        if byte in UNRESERVED:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def quoted(field):
    return '"' + field.replace('"', '""') + '"'


def client(endpoint, access_key, secret_key):
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"},
                    request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        region_name="us-east-1", config=config)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list-endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--inventory-bucket", required=True)
    parser.add_argument("--configuration", default="daily")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()

    started = time.monotonic()
    rows = []
    lister = client(args.list_endpoint, "AKIDINVENTORY", "not-checked")
    for page in lister.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for item in page.get("Contents", []):
            modified = item["LastModified"].astimezone(timezone.utc)
            rows.append(",".join(quoted(field) for field in (
                args.bucket, encode_key(item["Key"]), str(item["Size"]),
                modified.strftime("%Y-%m-%dT%H:%M:%S.") + f"{modified.microsecond // 1000:03d}Z",
                item["ETag"].strip('"'), item.get("StorageClass", "STANDARD"))))
    listed = time.monotonic()

    random.Random(args.seed).shuffle(rows)
    created = datetime.now(timezone.utc)
    base = f"{args.bucket}/{args.configuration}"
    files = []
    for index in range(args.files):
        part = rows[index::args.files]
        body = gzip.compress(("\n".join(part) + "\n").encode("utf-8") if part else b"", compresslevel=6, mtime=0)
        files.append((f"{base}/data/{uuid.UUID(int=random.Random(args.seed * 1000 + index).getrandbits(128))}.csv.gz", body))
    manifest = json.dumps({
        "sourceBucket": args.bucket,
        "destinationBucket": f"arn:aws:s3:::{args.inventory_bucket}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(created.timestamp() * 1000)),
        "fileFormat": "CSV",
        "fileSchema": SCHEMA,
        "files": [{"key": key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()} for key, body in files],
    }, indent=2).encode("utf-8")
    folder = f"{base}/{created.strftime('%Y-%m-%dT%H-%MZ')}"

    s3 = client(args.s3_endpoint, os.environ["S3_ACCESS_KEY"], os.environ["S3_SECRET_KEY"])
    for key, body in files:
        s3.put_object(Bucket=args.inventory_bucket, Key=key, Body=body)
    s3.put_object(Bucket=args.inventory_bucket, Key=f"{folder}/manifest.json", Body=manifest, ContentType="application/json")
    s3.put_object(Bucket=args.inventory_bucket, Key=f"{folder}/manifest.checksum", Body=hashlib.md5(manifest).hexdigest().encode("ascii"))
    print(json.dumps({
        "Bucket": args.bucket, "Manifest": f"s3://{args.inventory_bucket}/{folder}/manifest.json", "Records": len(rows),
        "Files": len(files), "Bytes": sum(len(body) for _, body in files),
        "ListSeconds": round(listed - started, 1), "WriteSeconds": round(time.monotonic() - listed, 1),
    }))


if __name__ == "__main__":
    main()
