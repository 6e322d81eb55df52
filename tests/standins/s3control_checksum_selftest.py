#!/usr/bin/env python3
"""
Self-test of s3control.py's S3ComputeObjectChecksum (Batch Operations' Compute checksum) against a fresh local Ceph
server: boto3's s3control client sends CreateJob with botocore's own serialisation (only the URL is pointed at the
stand-in, since botocore puts the account id in front of the host), the job runs, DescribeJob/ListJobs come back as
botocore parses them, the completion report (manifest.json + results CSV) parses as documented (its ResultMessage JSON
is the stand-in's undocumented guess, see s3control.py), and every checksum equals
one computed independently: botocore.httpchecksum's CRC32/SHA1/SHA256/SHA512 classes, hashlib's MD5, and for CRC64NVME and
CRC32C (botocore has them only with awscrt, absent here) a bit-by-bit CRC written here plus the catalogue check values.

  python3 tests/standins/s3control_checksum_selftest.py [--server-json PATH] [--check NAME ...]

Ends with one line: N passed, N failed.
"""
import base64
import csv
import hashlib
import io
import json
import os
import sys
import time
import uuid
from urllib.parse import quote, unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum, Sha512Checksum

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from selftest_server import Checks, StandIn, run  # noqa: E402

ACCOUNT = "111122223333"
check = Checks()


def bitwise_crc(data, reversed_poly, width):
    """A reflected CRC one bit at a time (no table): init and xorout all ones."""
    mask = (1 << width) - 1
    crc = mask
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (reversed_poly if crc & 1 else 0)
    return (crc ^ mask).to_bytes(width // 8, "big")


def independent(algorithm, data):
    botocore_classes = {"CRC32": Crc32Checksum, "SHA1": Sha1Checksum, "SHA256": Sha256Checksum, "SHA512": Sha512Checksum}
    if algorithm in botocore_classes:
        hasher = botocore_classes[algorithm]()
        hasher.update(data)
        return hasher.digest()
    if algorithm == "MD5":
        return hashlib.md5(data).digest()
    if algorithm == "CRC64NVME":
        return bitwise_crc(data, 0x9A6C9329AC4BC9B5, 64)
    if algorithm == "CRC32C":
        return bitwise_crc(data, 0x82F63B78, 32)
    raise ValueError(algorithm)


def control_client(endpoint, captured):
    s3control = boto3.client("s3control", region_name="us-east-1", endpoint_url="http://s3-control.invalid",
                             aws_access_key_id="AKIDSELFTEST", aws_secret_access_key="secret",
                             config=Config(retries={"max_attempts": 1}))
    target = urlsplit(endpoint)

    def redirect(request, **_):
        # botocore sends to <account>.<endpoint host>: keep its request, send it to the stand-in.
        captured.append({"method": request.method, "url": request.url, "body": request.body})
        request.url = urlsplit(request.url)._replace(scheme=target.scheme, netloc=target.netloc).geturl()

    s3control.meta.events.register("before-send.s3-control.*", redirect)
    return s3control


def manifest(ctx, rows, name=None):
    body = "".join(",".join([bucket, quote(key, safe="/")] + ([version] if version else [])) + "\n" for bucket, key, version in rows)
    key = name or f"manifests/{uuid.uuid4()}.csv"
    etag = ctx.s3.put_object(Bucket="work", Key=key, Body=body.encode())["ETag"].strip('"')
    fields = ["Bucket", "Key"] + (["VersionId"] if any(version for _, _, version in rows) else [])
    return {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": fields},
            "Location": {"ObjectArn": f"arn:aws:s3:::work/{key}", "ETag": etag}}


def create(ctx, rows, operation, scope="AllTasks"):
    return ctx.control.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=False, Operation=operation, Manifest=manifest(ctx, rows),
        Report={"Bucket": "arn:aws:s3:::work", "Format": "Report_CSV_20180820", "Enabled": True, "Prefix": "reports",
                "ReportScope": scope},
        ClientRequestToken=str(uuid.uuid4()), Priority=10, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/batch")["JobId"]


def wait(ctx, job_id):
    deadline = time.time() + 60
    while True:
        job = ctx.control.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]
        if job["Status"] in ("Complete", "Failed", "Cancelled"):
            return job
        assert time.time() < deadline, job
        time.sleep(0.1)


def report(ctx, job_id):
    """manifest.json and the rows of each results CSV, by TaskExecutionStatus, keys URL-decoded."""
    top = json.loads(ctx.s3.get_object(Bucket="work", Key=f"reports/job-{job_id}/manifest.json")["Body"].read())
    assert top["Format"] == "Report_CSV_20180820", top
    rows = {}
    for result in top["Results"]:
        body = ctx.s3.get_object(Bucket=result["Bucket"], Key=result["Key"])["Body"].read()
        assert hashlib.md5(body).hexdigest() == result["MD5Checksum"]
        assert body.endswith(b"\r\n")
        for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
            assert len(row) == 7, row
            rows.setdefault(result["TaskExecutionStatus"], []).append(row[:1] + [unquote(row[1])] + row[2:])
    return top, rows


def checksum_rows(rows):
    return {row[1]: (row, json.loads(row[6])) for row in rows.get("succeeded", [])}


@check
def botocore_serialises_the_operation(ctx):
    ctx.captured.clear()
    job_id = create(ctx, [("data", "plain", None)], {"S3ComputeObjectChecksum": {"ChecksumAlgorithm": "SHA256", "ChecksumType": "FULL_OBJECT"}})
    body = ctx.captured[0]["body"].decode()
    assert ctx.captured[0]["url"] == f"http://{ACCOUNT}.s3-control.invalid/v20180820/jobs", ctx.captured[0]["url"]
    assert "<Operation><S3ComputeObjectChecksum><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>FULL_OBJECT" \
           "</ChecksumType></S3ComputeObjectChecksum></Operation>" in body, body
    assert "<ReportScope>AllTasks</ReportScope>" in body
    print("  " + body)
    wait(ctx, job_id)


@check
def crc64nvme_full_object_is_the_default(ctx):
    job_id = create(ctx, [("data", key, None) for key in ctx.objects], {"S3ComputeObjectChecksum": {}})
    job = wait(ctx, job_id)
    assert job["Status"] == "Complete" and job["Operation"] == {"S3ComputeObjectChecksum": {}}, job["Operation"]
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == len(ctx.objects), job["ProgressSummary"]
    top, rows = report(ctx, job_id)
    assert [r["TaskExecutionStatus"] for r in top["Results"]] == ["succeeded"]
    found = checksum_rows(rows)
    assert set(found) == set(ctx.objects)
    for key, data in ctx.objects.items():
        row, message = found[key]
        assert row[0] == "data" and row[2] == "" and row[3] == "succeeded" and row[4] == "200" and row[5] == "", row
        expected = independent("CRC64NVME", data)
        assert base64.b64decode(message["checksum_base64"]) == expected, (key, message)
        assert message["checksum_hex"] == expected.hex()
        assert message["checksumAlgorithm"] == "CRC64NVME" and message["checksumType"] == "FULL_OBJECT"
        assert message["etag"] == ctx.s3.head_object(Bucket="data", Key=key)["ETag"].strip('"')
    # The catalogue's check value, and S3's CRC64NVME of no bytes.
    assert independent("CRC64NVME", b"123456789").hex() == "ae8b14860a799888"
    assert found[""][1]["checksum_base64"] == "AAAAAAAAAAA=" if "" in found else True
    assert found["empty"][1]["checksum_base64"] == "AAAAAAAAAAA="


@check
def every_computed_algorithm_matches_an_independent_computation(ctx):
    for algorithm in ("CRC32", "CRC32C", "MD5", "SHA1", "SHA256", "SHA512"):
        operation = {"S3ComputeObjectChecksum": {"ChecksumAlgorithm": algorithm, "ChecksumType": "FULL_OBJECT"}}
        job_id = create(ctx, [("data", key, None) for key in ctx.objects], operation)
        job = wait(ctx, job_id)
        assert job["Operation"] == operation, job["Operation"]
        found = checksum_rows(report(ctx, job_id)[1])
        for key, data in ctx.objects.items():
            assert base64.b64decode(found[key][1]["checksum_base64"]) == independent(algorithm, data), (algorithm, key)
    assert independent("CRC32C", b"123456789").hex() == "e3069283"
    assert independent("CRC32", b"123456789").hex() == "cbf43926"


@check
def list_jobs_names_the_operation(ctx):
    jobs = ctx.control.list_jobs(AccountId=ACCOUNT)["Jobs"]
    assert any(job["Operation"] == "S3ComputeObjectChecksum" for job in jobs), [job["Operation"] for job in jobs]


@check
def versions_and_differing_bytes_of_the_same_size(ctx):
    # The case: the backup's object has the source's size and metadata, but other bytes.
    ctx.s3.put_object(Bucket="backup", Key="same-size", Body=b"A" * 4096, Metadata={"m": "1"})
    rows = [("data", "same-size", None), ("backup", "same-size", None), ("data", "versioned", ctx.old_version)]
    job_id = create(ctx, rows, {"S3ComputeObjectChecksum": {"ChecksumAlgorithm": "SHA256"}})
    wait(ctx, job_id)
    succeeded = report(ctx, job_id)[1]["succeeded"]
    by = {(row[0], row[1], row[2]): json.loads(row[6]) for row in succeeded}
    source, backup = by[("data", "same-size", "")], by[("backup", "same-size", "")]
    assert source["checksum_base64"] != backup["checksum_base64"]
    assert base64.b64decode(backup["checksum_base64"]) == hashlib.sha256(b"A" * 4096).digest()
    assert base64.b64decode(by[("data", "versioned", ctx.old_version)]["checksum_base64"]) == hashlib.sha256(b"old bytes").digest()


@check
def composite_for_single_part_objects_only(ctx):
    job_id = create(ctx, [("data", "multipart", None), ("data", "plain", None)],
                    {"S3ComputeObjectChecksum": {"ChecksumAlgorithm": "SHA256", "ChecksumType": "COMPOSITE"}})
    wait(ctx, job_id)
    rows = report(ctx, job_id)[1]
    found = checksum_rows(rows)
    # A single-part object's composite checksum is its whole-object one.
    assert base64.b64decode(found["plain"][1]["checksum_base64"]) == hashlib.sha256(ctx.objects["plain"]).digest()
    assert found["plain"][1]["checksumType"] == "COMPOSITE"
    # S3 would give sha256(sha256(part 1) + sha256(part 2)) + "-2"; Ceph cannot serve the parts, so the task fails.
    failed = {row[1]: row for row in rows["failed"]}
    assert failed["multipart"][3:6] == ["failed", "501", "NotImplemented"], failed["multipart"]


@check
def failed_tasks_and_failed_tasks_only(ctx):
    ctx.standin.control("POST", "/_standin/fail", {"keys": ["plain"]})
    job_id = create(ctx, [("data", "plain", None), ("data", "no-such-key", None), ("data", "empty", None)],
                    {"S3ComputeObjectChecksum": {"ChecksumAlgorithm": "CRC32"}}, scope="FailedTasksOnly")
    job = wait(ctx, job_id)
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 2 and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 1
    top, rows = report(ctx, job_id)
    assert set(rows) == {"failed"}, rows.keys()
    failed = {row[1]: row for row in rows["failed"]}
    assert failed["plain"][3:6] == ["failed", "503", "SlowDown"], failed["plain"]
    assert failed["no-such-key"][3:6] == ["failed", "404", "NoSuchKey"], failed["no-such-key"]
    assert job["Report"]["ReportScope"] == "FailedTasksOnly"


@check
def create_job_refuses_what_aws_would(ctx):
    for operation, text in (({"ChecksumAlgorithm": "CRC128"}, "Invalid ChecksumAlgorithm"),
                            ({"ChecksumType": "PARTIAL"}, "Invalid ChecksumType"),
                            ({"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"}, "FULL_OBJECT"),
                            ({"ChecksumAlgorithm": "XXHASH3"}, "does not compute")):
        try:
            create(ctx, [("data", "plain", None)], {"S3ComputeObjectChecksum": operation})
            raise AssertionError(f"accepted {operation}")
        except ClientError as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
            assert error.response["Error"]["Code"] == "InvalidRequest" and text in error.response["Error"]["Message"], error.response


def set_up(ctx):
    for name in ("work", "data", "backup"):
        ctx.s3.create_bucket(Bucket=name)
    ctx.s3.put_bucket_versioning(Bucket="data", VersioningConfiguration={"Status": "Enabled"})
    ctx.objects = {"plain": b"hello, checksum", "empty": b"", "a b+c/%ü.txt": "Grüße\n".encode(),
                   "same-size": os.urandom(4096), "big": os.urandom(1_500_000)}
    for key, data in ctx.objects.items():
        ctx.s3.put_object(Bucket="data", Key=key, Body=data)
    ctx.old_version = ctx.s3.put_object(Bucket="data", Key="versioned", Body=b"old bytes")["VersionId"]
    ctx.s3.put_object(Bucket="data", Key="versioned", Body=b"new bytes")
    ctx.parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    upload = ctx.s3.create_multipart_upload(Bucket="data", Key="multipart")
    done = [{"PartNumber": n, "ETag": ctx.s3.upload_part(Bucket="data", Key="multipart", UploadId=upload["UploadId"],
                                                         PartNumber=n, Body=part)["ETag"]} for n, part in enumerate(ctx.parts, 1)]
    ctx.s3.complete_multipart_upload(Bucket="data", Key="multipart", UploadId=upload["UploadId"], MultipartUpload={"Parts": done})
    ctx.standin = StandIn(ctx.folder, "s3control.py", "--s3-endpoint", ctx.server.endpoint,
                          "--access-key", ctx.server.access_key, "--secret-key", ctx.server.secret_key)
    ctx.captured = []
    ctx.control = control_client(ctx.standin.endpoint, ctx.captured)


if __name__ == "__main__":
    sys.exit(run(__doc__, "s3control-checksum-selftest-", check, set_up))
