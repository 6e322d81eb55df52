#!/usr/bin/env python3
"""
Writes the checksum fixtures of the Checksums suite into two buckets of a moto_server, with boto3 (the aws CLI's
library), and prints what S3 then reports for each object (ETag, checksum) as JSON.

  same-content.bin  the same 6 MiB: multipart (5 MiB + 1 MiB, full-object CRC32) in the backup, one PUT (CRC32) in
                    the source, so the ETags differ and the checksums agree
  changed.bin       6 MiB, multipart with CRC32 in the backup, one PUT of other bytes with CRC32 in the source
  no-checksum.bin   the same 6 MiB, multipart in the backup and one PUT in the source, neither with a checksum
  plain.bin         the same 1 KiB, one PUT each with CRC32: equal ETags
"""
import json
import os
import sys

import boto3

endpoint, backup, source = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="moto", aws_secret_access_key="moto")
for bucket in (backup, source):
    s3.create_bucket(Bucket=bucket)

MiB = 1024 * 1024


def multipart(bucket, key, body, algorithm):
    extra = {"ChecksumAlgorithm": algorithm, "ChecksumType": "FULL_OBJECT"} if algorithm else {}
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)
    parts = []
    for number, start in enumerate(range(0, len(body), 5 * MiB), start=1):
        part_extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number,
                                  Body=body[start:start + 5 * MiB], **part_extra)
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if algorithm:
            part["Checksum" + algorithm] = response["Checksum" + algorithm]
        parts.append(part)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts},
                                 **({"ChecksumType": "FULL_OBJECT"} if algorithm else {}))


def single(bucket, key, body, algorithm):
    s3.put_object(Bucket=bucket, Key=key, Body=body, **({"ChecksumAlgorithm": algorithm} if algorithm else {}))


content = os.urandom(6 * MiB)
multipart(backup, "same-content.bin", content, "CRC32")
single(source, "same-content.bin", content, "CRC32")
multipart(backup, "changed.bin", content, "CRC32")
single(source, "changed.bin", os.urandom(6 * MiB), "CRC32")
multipart(backup, "no-checksum.bin", content, None)
single(source, "no-checksum.bin", content, None)
small = os.urandom(1024)
single(backup, "plain.bin", small, "CRC32")
single(source, "plain.bin", small, "CRC32")

report = {}
for bucket in (backup, source):
    for key in ("same-content.bin", "changed.bin", "no-checksum.bin", "plain.bin"):
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        report[f"{bucket}/{key}"] = {"ETag": head["ETag"], "CRC32": head.get("ChecksumCRC32")}
print(json.dumps(report))
