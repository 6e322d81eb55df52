#!/usr/bin/env python3
"""
Writes an S3 Inventory delivery of a bucket on an S3 server, as S3 Inventory delivers one (the user guide's "Amazon S3
Inventory list" and "Inventory manifest"), from the bucket's own listing: gzip CSV data files with every field quoted,
keys form-URL-encoded (a space as '+', '/' encoded too), bare ETags, a null version's id empty; the rows shuffled over
--files files (S3 promises no order); manifest.json (sourceBucket, destinationBucket ARN, version, creationTimestamp in
milliseconds, fileFormat CSV, fileSchema, files with key, size and MD5checksum) and manifest.checksum (the hex MD5 of
manifest.json), under <prefix>/<source bucket>/<config id>/<YYYY-MM-DDTHH-MMZ>/ with the data under .../data/.

--omit KEY leaves a key out (an inventory taken before it was written); --created-hours-ago dates the delivery.
Prints the manifest's s3:// location.
"""
import argparse
import gzip
import hashlib
import io
import json
import random
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

import boto3
from botocore.config import Config

CURRENT = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"
VERSIONS = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"


def rows(s3, bucket, versions):
    if versions:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            entries = [dict(v, IsDeleteMarker=False) for v in page.get("Versions", [])]
            entries += [dict(m, IsDeleteMarker=True) for m in page.get("DeleteMarkers", [])]
            yield from entries
    else:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            yield from page.get("Contents", [])


def field(row, column, bucket):
    if column == "Bucket":
        return bucket
    if column == "Key":
        return quote_plus(row["Key"], safe="*")
    if column == "VersionId":
        return "" if row.get("VersionId") in (None, "null") else row["VersionId"]
    if column == "IsLatest":
        return "true" if row.get("IsLatest") else "false"
    if column == "IsDeleteMarker":
        return "true" if row.get("IsDeleteMarker") else "false"
    if column == "Size":
        return "" if row.get("IsDeleteMarker") else str(row["Size"])
    if column == "LastModifiedDate":
        return row["LastModified"].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (row["LastModified"].microsecond // 1000)
    if column == "ETag":
        return "" if row.get("IsDeleteMarker") else row["ETag"].strip('"')
    if column == "StorageClass":
        return "" if row.get("IsDeleteMarker") else row.get("StorageClass", "STANDARD")
    raise ValueError(column)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--bucket", required=True, help="the bucket the inventory lists")
    parser.add_argument("--destination", required=True, help="the bucket the delivery is written to")
    parser.add_argument("--prefix", default="inventory")
    parser.add_argument("--config-id", default="daily")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--versions", action="store_true")
    parser.add_argument("--omit", action="append", default=[])
    parser.add_argument("--created-hours-ago", type=float, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id=args.access_key,
                      aws_secret_access_key=args.secret_key, config=Config(s3={"addressing_style": "path"}))
    schema = VERSIONS if args.versions else CURRENT
    columns = [name.strip() for name in schema.split(",")]
    lines = ['"' + '","'.join(field(row, column, args.bucket).replace('"', '""') for column in columns) + '"\n'
             for row in rows(s3, args.bucket, args.versions) if row["Key"] not in args.omit]
    random.Random(args.seed).shuffle(lines)

    created = datetime.now(timezone.utc) - timedelta(hours=args.created_hours_ago)
    folder = f"{args.prefix}/{args.bucket}/{args.config_id}"
    delivery = f"{folder}/{created.strftime('%Y-%m-%dT%H-%MZ')}"
    files = []
    for index in range(args.files):
        body = gzip.compress("".join(lines[index::args.files]).encode("utf-8"))
        key = f"{folder}/data/{hashlib.md5(f'{delivery}{index}'.encode()).hexdigest()}.csv.gz"
        s3.put_object(Bucket=args.destination, Key=key, Body=body)
        files.append({"key": key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()})
    manifest = json.dumps({
        "sourceBucket": args.bucket,
        "destinationBucket": f"arn:aws:s3:::{args.destination}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(created.timestamp() * 1000)),
        "fileFormat": "CSV",
        "fileSchema": schema,
        "files": files,
    }, indent=2).encode("utf-8")
    s3.put_object(Bucket=args.destination, Key=f"{delivery}/manifest.json", Body=manifest)
    s3.put_object(Bucket=args.destination, Key=f"{delivery}/manifest.checksum", Body=hashlib.md5(manifest).hexdigest().encode())
    print(f"s3://{args.destination}/{delivery}/manifest.json")


if __name__ == "__main__":
    main()
