#!/usr/bin/env python3
"""
A loopback stand-in for the S3 Control Batch Operations API (no local server offers it), speaking botocore's
s3control wire format (REST-XML, 2018-08-20 namespace), that really does the work: a Ready job's manifest is read from
the local Ceph server and every row copied there with CopyObject (boto3), then a completion report of the failed tasks
is written in the real format (manifest.json plus a results CSV: HTTPStatusCode before ErrorCode, URL-encoded keys,
CRLF). S3ReplicateObject jobs (Batch Replication) copy each object to the destination of the source bucket's matching
replication rule, from a manifest or one the stand-in generates (S3JobManifestGenerator filters).
S3ComputeObjectChecksum jobs (Compute checksum) read each object from the local server and compute its checksum here
(checksums.py: CRC64NVME, CRC32, CRC32C, MD5, SHA1, SHA256, SHA512; FULL_OBJECT, or COMPOSITE for single-part objects:
a multipart object's COMPOSITE task fails 501 NotImplemented, since Ceph ignores GetObject's partNumber), CRC64NVME FULL_OBJECT when the request names neither; with ReportScope AllTasks the report lists every
succeeded task with a JSON ResultMessage: {"checksum_base64", "checksum_hex", "checksumAlgorithm", "checksumType",
"etag"}. That shape is NOT documented by AWS: the User Guide ("Examples: S3 Batch Operations completion reports") says
only that a Compute checksum job's report "contains checksum values for every object" and shows no such ResultMessage;
these member names are what code written against real reports parses (a verification script and a Go report importer
found in public repositories), i.e. others' observation, not AWS's word. The module reads it defensively
(src/S3Replication/Batch/ComputedChecksum.cs). Refused at CreateJob (400 InvalidRequest): an algorithm or type outside botocore's enums, CRC64NVME with
COMPOSITE (AWS: full-object only), and XXHASH64/XXHASH3/XXHASH128 (in botocore's enum, not computed by the stand-in).
Jobs go through Preparing, Suspended (awaiting confirmation), Ready, Active and Complete or Cancelled.

Control (for the tests): POST /_standin/fail {"keys": [...]} makes those keys' tasks fail with 503 SlowDown;
POST /_standin/delay {"seconds": S} makes every task from then on take S seconds more (0: none), so a job stays Active
long enough to stop a command that waits for it; POST /_standin/report-encoding {"plus": true} makes the reports of
jobs that start from then on spell each key form-encoded (quote_plus: a space as '+', '+' as %2B) instead of as the
manifest row gave it (percent-encoded): AWS documents no encoding for completion-report keys, and code written against
real reports decodes them with unquote_plus, so a reader must take both ({"plus": false} goes back); GET
/_standin/requests lists method, path and account header of every request.
"""
import argparse
import base64
import csv
import hashlib
import io
import json
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlparse

import boto3
from botocore.config import Config

import checksums
from loopback import serve

NS = "http://awss3control.amazonaws.com/doc/2018-08-20/"
Q = "{%s}" % NS


# botocore 1.43.11 s3control model: ComputeObjectChecksumAlgorithm and ComputeObjectChecksumType.
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "MD5", "SHA1", "SHA256", "SHA512", "XXHASH64", "XXHASH3", "XXHASH128")
CHECKSUM_TYPES = ("FULL_OBJECT", "COMPOSITE")


class InvalidJob(Exception):
    """CreateJob refused before a job exists (400 InvalidRequest)."""


def compute_arguments(element):
    """S3ComputeObjectChecksum's members as given, and the algorithm and type the job uses."""
    given = {name: element.findtext(Q + name) for name in ("ChecksumAlgorithm", "ChecksumType") if element.findtext(Q + name)}
    algorithm, kind = given.get("ChecksumAlgorithm", "CRC64NVME"), given.get("ChecksumType", "FULL_OBJECT")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise InvalidJob(f"Invalid ChecksumAlgorithm: {algorithm}")
    if kind not in CHECKSUM_TYPES:
        raise InvalidJob(f"Invalid ChecksumType: {kind}")
    if algorithm == "CRC64NVME" and kind == "COMPOSITE":
        raise InvalidJob("The CRC64NVME checksum algorithm supports only the FULL_OBJECT checksum type")
    if algorithm not in checksums.FACTORIES:
        raise InvalidJob(f"The stand-in does not compute {algorithm}")
    return {"Given": given, "Algorithm": algorithm, "Type": kind}


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Jobs:
    def __init__(self, s3):
        self.s3 = s3
        self.lock = threading.Lock()
        self.jobs = {}
        self.tokens = {}
        self.failing = set()
        self.delay = 0.0
        self.plus_keys = False
        self.requests = []

    def create(self, account, request):
        token = request.findtext(Q + "ClientRequestToken")
        with self.lock:
            if token in self.tokens:
                return self.tokens[token]
            self.validate(request)
            compute = request.find(Q + "Operation/" + Q + "S3ComputeObjectChecksum")
            compute = compute_arguments(compute) if compute is not None else None
            job_id = str(uuid.uuid4())
            self.tokens[token] = job_id
            copy = request.find(Q + "Operation/" + Q + "S3PutObjectCopy")
            restore = request.find(Q + "Operation/" + Q + "S3InitiateRestoreObject")
            location = request.find(Q + "Manifest/" + Q + "Location")
            generator = request.find(Q + "ManifestGenerator/" + Q + "S3JobManifestGenerator")
            report = request.find(Q + "Report")
            self.jobs[job_id] = {
                "JobId": job_id, "Account": account, "Status": "Preparing",
                "ConfirmationRequired": request.findtext(Q + "ConfirmationRequired") == "true",
                "Description": request.findtext(Q + "Description") or "",
                "Priority": int(request.findtext(Q + "Priority") or "0"),
                "RoleArn": request.findtext(Q + "RoleArn"),
                "Operation": "S3PutObjectCopy" if copy is not None else "S3InitiateRestoreObject" if restore is not None
                else "S3ComputeObjectChecksum" if compute is not None else "S3ReplicateObject",
                "Compute": compute,
                "Target": copy.findtext(Q + "TargetResource").split(":::")[1] if copy is not None else None,
                # What each copy carries, as S3PutObjectCopy would pass it to CopyObject.
                "CopyArguments": {name: value for name, value in (
                    ("ACL", copy.findtext(Q + "CannedAccessControlList") if copy is not None else None),
                    ("SSEKMSKeyId", copy.findtext(Q + "SSEAwsKmsKeyId") if copy is not None else None),
                    ("ChecksumAlgorithm", copy.findtext(Q + "ChecksumAlgorithm") if copy is not None else None),
                ) if value},
                "Restore": None if restore is None else {
                    "Days": int(restore.findtext(Q + "ExpirationInDays") or "1"),
                    "Tier": (restore.findtext(Q + "GlacierJobTier") or "BULK").capitalize(),
                },
                "ManifestArn": location.findtext(Q + "ObjectArn") if location is not None else None,
                "ManifestETag": location.findtext(Q + "ETag") if location is not None else None,
                "ManifestVersion": location.findtext(Q + "ObjectVersionId") if location is not None else None,
                "Generator": generator,
                "ReportEnabled": report.findtext(Q + "Enabled") == "true", "ReportScope": report.findtext(Q + "ReportScope"),
                "ReportBucket": report.findtext(Q + "Bucket"), "ReportPrefix": report.findtext(Q + "Prefix") or "",
                "Total": 0, "Succeeded": 0, "Failed": 0, "Created": now(), "Terminated": None, "Failures": [],
            }
        self.prepare(job_id)
        return job_id

    def validate(self, request):
        """What CreateJob refuses outright (the operation's own arguments are checked where they are read)."""
        operations = [element.tag for element in (request.find(Q + "Operation") or [])]
        if len(operations) != 1:
            raise InvalidJob("The job must name exactly one operation")

    def prepare(self, job_id):
        job = self.jobs[job_id]
        if job["Generator"] is not None:
            rows = self.generate(job["Generator"])
            job.update(Rows=rows, Total=len(rows))
            return self.await_confirmation(job_id)
        bucket, key = job["ManifestArn"].split(":::")[1].split("/", 1)
        extra = {"VersionId": job["ManifestVersion"]} if job["ManifestVersion"] else {}
        manifest = self.s3.get_object(Bucket=bucket, Key=key, **extra)
        # CreateJob names the manifest's ETag bare, as AWS's examples and SDKs give it (S3 answers GET with it quoted).
        if manifest["ETag"].strip('"') != job["ManifestETag"]:
            job.update(Status="Failed", Terminated=now(), Failures=[("ManifestETagMismatch", "The manifest's ETag is not the one given")])
            return
        rows = [row for row in csv.reader(io.StringIO(manifest["Body"].read().decode("utf-8"))) if row]
        job.update(Rows=rows, Total=len(rows))
        self.await_confirmation(job_id)

    def await_confirmation(self, job_id):
        job = self.jobs[job_id]
        if job["ConfirmationRequired"]:
            job["Status"] = "Suspended"
        else:
            self.start(job_id)

    def start(self, job_id):
        self.jobs[job_id]["Status"] = "Ready"
        threading.Thread(target=self.run, args=(job_id,), daemon=True).start()

    def rules(self, bucket):
        """The source bucket's enabled replication rules, as (prefix, destination bucket)."""
        try:
            configuration = self.s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        except self.s3.exceptions.ClientError:
            return []
        rules = []
        # Ceph answers a bucket without a configuration with an empty one (no Rules), not 404.
        for rule in configuration.get("Rules", []):
            if rule.get("Status") != "Enabled":
                continue
            prefix = rule.get("Prefix", rule.get("Filter", {}).get("Prefix", "")) or ""
            rules.append((prefix, rule["Destination"]["Bucket"].split(":::")[1]))
        return rules

    def generate(self, generator):
        """S3JobManifestGenerator: the source's objects its rules cover, by replication status, creation time and prefix."""
        bucket = generator.findtext(Q + "SourceBucket").split(":::")[1]
        found = generator.find(Q + "Filter")
        statuses = [member.text for member in found.findall(Q + "ObjectReplicationStatuses/" + Q + "member")]
        prefixes = [member.text for member in found.findall(Q + "KeyNameConstraint/" + Q + "MatchAnyPrefix/" + Q + "member")]
        after, before = found.findtext(Q + "CreatedAfter"), found.findtext(Q + "CreatedBefore")
        rules = self.rules(bucket)
        rows = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                key, created = item["Key"], item["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ")
                if prefixes and not any(key.startswith(prefix) for prefix in prefixes):
                    continue
                if (after and created <= after) or (before and created >= before):
                    continue
                if found.findtext(Q + "EligibleForReplication") == "true" and not any(key.startswith(prefix) for prefix, _ in rules):
                    continue
                status = self.s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus", "NONE")
                if statuses and status not in statuses:
                    continue
                rows.append([bucket, quote(key, safe="/")])
        return rows

    def run(self, job_id):
        job = self.jobs[job_id]
        job["Status"] = "Active"
        job["PlusKeys"] = self.plus_keys
        failed, succeeded = [], []
        for row in job["Rows"]:
            if job["Status"] == "Cancelled":
                return
            if self.delay:
                time.sleep(self.delay)
            bucket, encoded_key = row[0], row[1]
            version = row[2] if len(row) > 2 else ""
            key = unquote(encoded_key)
            if key in self.failing:
                failed.append((bucket, encoded_key, version, "503", "SlowDown", "Please reduce your request rate."))
                job["Failed"] += 1
                continue
            source = {"Bucket": bucket, "Key": key}
            if version not in ("null", ""):
                source["VersionId"] = version
            # S3ReplicateObject: the object goes where the source bucket's matching rule sends it.
            target = job["Target"] or (None if job["Compute"] is not None or job["Restore"] is not None else
                                       next((destination for prefix, destination in self.rules(bucket) if key.startswith(prefix)), None))
            try:
                if job["Compute"] is not None:
                    # S3ComputeObjectChecksum: the object's bytes at rest, through the checksum the job asked for.
                    succeeded.append((bucket, encoded_key, version, "succeeded", "200", "", self.compute(job["Compute"], source)))
                    job["Succeeded"] += 1
                    continue
                if job["Restore"] is not None:
                    # S3InitiateRestoreObject: the restore request S3 itself would make for the task.
                    restore = {"VersionId": source["VersionId"]} if "VersionId" in source else {}
                    self.s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={"Days": job["Restore"]["Days"],
                                           "GlacierJobParameters": {"Tier": job["Restore"]["Tier"]}}, **restore)
                    job["Succeeded"] += 1
                    continue
                if target is None:
                    raise self.s3.exceptions.ClientError({"Error": {"Code": "NoMatchingRule", "Message": "No replication rule covers the key"},
                                                          "ResponseMetadata": {"HTTPStatusCode": 400}}, "ReplicateObject")
                self.s3.copy_object(CopySource=source, Bucket=target, Key=key, MetadataDirective="COPY", **job["CopyArguments"])
                job["Succeeded"] += 1
            except self.s3.exceptions.ClientError as error:
                status = str(error.response["ResponseMetadata"]["HTTPStatusCode"])
                failed.append((bucket, encoded_key, version, status, error.response["Error"]["Code"], error.response["Error"].get("Message", "")))
                job["Failed"] += 1
        if job["ReportEnabled"]:
            self.write_report(job, failed, succeeded if job["ReportScope"] == "AllTasks" else [])
        job.update(Status="Complete", Terminated=now())

    def compute(self, compute, source):
        """
        The ResultMessage of a Compute checksum task: the checksum in base64 and hex, its algorithm, type and the ETag.
        AWS documents no example of it (see the module docstring): this JSON is the shape observed by others, a guess.
        """
        algorithm = compute["Algorithm"]
        parts = 0
        if compute["Type"] == "COMPOSITE":
            # Ceph's HeadObject with partNumber gives no PartsCount: the multipart ETag's -<parts> says it.
            etag = self.s3.head_object(**source)["ETag"].strip('"')
            parts = int(etag.rsplit("-", 1)[1]) if "-" in etag else 0
        if parts > 1:
            # S3's composite form is the checksum of the parts' checksums with -<parts>; Ceph (Pacific) ignores partNumber
            # on GetObject and keeps no part sizes, so the stand-in cannot split the object: the task fails, saying why.
            raise self.s3.exceptions.ClientError({"Error": {"Code": "NotImplemented", "Message":
                                                  "The stand-in cannot read the parts of a multipart object on this server"},
                                                  "ResponseMetadata": {"HTTPStatusCode": 501}}, "ComputeObjectChecksum")
        found = self.s3.get_object(**source)
        digest, etag = self.digest(algorithm, found), found["ETag"]
        return json.dumps({"checksum_base64": base64.b64encode(digest).decode(), "checksum_hex": digest.hex(),
                           "checksumAlgorithm": algorithm, "checksumType": compute["Type"], "etag": etag.strip('"')},
                          separators=(",", ":"))

    @staticmethod
    def digest(algorithm, response):
        hasher = checksums.new(algorithm)
        for chunk in response["Body"].iter_chunks(1024 * 1024):
            hasher.update(chunk)
        return hasher.digest()

    def write_report(self, job, failed, succeeded):
        bucket = job["ReportBucket"].split(":::")[1]
        folder = f"{job['ReportPrefix']}/job-{job['JobId']}"
        results = []
        for status, rows in (("succeeded", succeeded), ("failed", failed)):
            if not rows:
                continue
            lines = io.StringIO(newline="")
            writer = csv.writer(lines, lineterminator="\r\n")
            for bucket_name, key, version, outcome, code, error, message in [row if len(row) == 7 else row[:3] + ("failed",) + row[3:] for row in rows]:
                if job.get("PlusKeys"):
                    key = quote_plus(unquote(key), safe="/")
                writer.writerow([bucket_name, key, version, outcome, code, error, message])
            body = lines.getvalue().encode("utf-8")
            result_key = f"{folder}/results/{uuid.uuid4()}.csv"
            self.s3.put_object(Bucket=bucket, Key=result_key, Body=body)
            results.append({"TaskExecutionStatus": status, "Bucket": bucket, "MD5Checksum": hashlib.md5(body).hexdigest(), "Key": result_key})
        manifest = {"Format": "Report_CSV_20180820", "ReportCreationDate": now(), "Results": results,
                    "ReportSchema": "Bucket, Key, VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage"}
        self.s3.put_object(Bucket=bucket, Key=f"{folder}/manifest.json", Body=json.dumps(manifest).encode("utf-8"))


def job_xml(parent, job, full):
    def add(name, value):
        if value is not None:
            ET.SubElement(parent, Q + name).text = str(value)
    add("JobId", job["JobId"])
    add("Description", job["Description"])
    add("Status", job["Status"])
    add("Priority", job["Priority"])
    add("CreationTime", job["Created"])
    add("TerminationDate", job["Terminated"])
    if full:
        add("ConfirmationRequired", "true" if job["ConfirmationRequired"] else "false")
        operation = ET.SubElement(ET.SubElement(parent, Q + "Operation"), Q + job["Operation"])
        for name, value in (job["Compute"] or {"Given": {}})["Given"].items():
            ET.SubElement(operation, Q + name).text = value
        if job["Target"]:
            ET.SubElement(operation, Q + "TargetResource").text = "arn:aws:s3:::" + job["Target"]
        if job["ManifestArn"]:
            manifest = ET.SubElement(parent, Q + "Manifest")
            ET.SubElement(ET.SubElement(manifest, Q + "Spec"), Q + "Format").text = "S3BatchOperations_CSV_20180820"
            location = ET.SubElement(manifest, Q + "Location")
            ET.SubElement(location, Q + "ObjectArn").text = job["ManifestArn"]
            ET.SubElement(location, Q + "ETag").text = job["ManifestETag"]
        report = ET.SubElement(parent, Q + "Report")
        if job["ReportBucket"]:
            ET.SubElement(report, Q + "Bucket").text = job["ReportBucket"]
            ET.SubElement(report, Q + "Format").text = "Report_CSV_20180820"
        ET.SubElement(report, Q + "Enabled").text = "true" if job["ReportEnabled"] else "false"
        if job["ReportPrefix"]:
            ET.SubElement(report, Q + "Prefix").text = job["ReportPrefix"]
        if job["ReportScope"]:
            ET.SubElement(report, Q + "ReportScope").text = job["ReportScope"]
        add("RoleArn", job["RoleArn"])
        if job["Failures"]:
            reasons = ET.SubElement(parent, Q + "FailureReasons")
            for code, reason in job["Failures"]:
                member = ET.SubElement(reasons, Q + "member")
                ET.SubElement(member, Q + "FailureCode").text = code
                ET.SubElement(member, Q + "FailureReason").text = reason
    else:
        ET.SubElement(parent, Q + "Operation").text = job["Operation"]
    progress = ET.SubElement(parent, Q + "ProgressSummary")
    ET.SubElement(progress, Q + "TotalNumberOfTasks").text = str(job["Total"])
    ET.SubElement(progress, Q + "NumberOfTasksSucceeded").text = str(job["Succeeded"])
    ET.SubElement(progress, Q + "NumberOfTasksFailed").text = str(job["Failed"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    jobs: Jobs = None

    def log_message(self, *args):
        pass

    def reply(self, status, root=None, body=None):
        data = body if body is not None else (ET.tostring(root, encoding="utf-8", xml_declaration=True) if root is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", "application/xml" if root is not None or status >= 300 else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        # S3 Control answers some errors bare (<Error>) and some wrapped (<ErrorResponse><Error>); this one wraps.
        body = f"<ErrorResponse><Error><Code>{code}</Code><Message>{message}</Message></Error><RequestId>standin</RequestId></ErrorResponse>"
        self.reply(status, body=body.encode())

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def route(self):
        url = urlparse(self.path)
        account = self.headers.get("x-amz-account-id")
        with self.jobs.lock:
            self.jobs.requests.append({"method": self.command, "path": url.path, "query": url.query, "account": account})
        if url.path.startswith("/_standin/"):
            return url, None
        authorization = self.headers.get("Authorization", "")
        if not account or "/s3/aws4_request" not in authorization or "x-amz-account-id" not in authorization:
            self.error(403, "AccessDenied", "Requests must be SigV4-signed for s3 and sign x-amz-account-id")
            return None, None
        return url, account

    def do_GET(self):
        url, account = self.route()
        if url is None:
            return
        if url.path == "/_standin/requests":
            with self.jobs.lock:
                return self.reply(200, body=json.dumps(self.jobs.requests).encode())
        if url.path == "/v20180820/jobs":
            statuses = parse_qs(url.query).get("jobStatuses", [])
            root = ET.Element(Q + "ListJobsResult")
            jobs = ET.SubElement(root, Q + "Jobs")
            for job in self.jobs.jobs.values():
                if job["Account"] == account and (not statuses or job["Status"] in statuses):
                    job_xml(ET.SubElement(jobs, Q + "member"), job, full=False)
            return self.reply(200, root)
        if url.path.startswith("/v20180820/jobs/"):
            job = self.find(url.path.split("/")[3], account)
            if job:
                root = ET.Element(Q + "DescribeJobResult")
                job_xml(ET.SubElement(root, Q + "Job"), job, full=True)
                self.reply(200, root)
            return
        self.error(404, "NotFound", url.path)

    def do_POST(self):
        url, account = self.route()
        if url is None:
            return
        body = self.body()
        if url.path == "/_standin/fail":
            self.jobs.failing.update(json.loads(body)["keys"])
            return self.reply(200, body=b"{}")
        if url.path == "/_standin/delay":
            self.jobs.delay = float(json.loads(body)["seconds"])
            return self.reply(200, body=b"{}")
        if url.path == "/_standin/report-encoding":
            self.jobs.plus_keys = bool(json.loads(body)["plus"])
            return self.reply(200, body=b"{}")
        if url.path == "/v20180820/jobs":
            try:
                job_id = self.jobs.create(account, ET.fromstring(body))
            except InvalidJob as error:
                return self.error(400, "InvalidRequest", str(error))
            except self.jobs.s3.exceptions.ClientError as error:
                return self.error(400, "InvalidRequest", f"The manifest could not be read: {error}")
            root = ET.Element(Q + "CreateJobResult")
            ET.SubElement(root, Q + "JobId").text = job_id
            return self.reply(200, root)
        parts = url.path.split("/")
        if len(parts) == 5 and parts[2] == "jobs":
            job = self.find(parts[3], account)
            if not job:
                return
            query = parse_qs(url.query)
            if parts[4] == "status":
                requested = query["requestedJobStatus"][0]
                if requested == "Ready" and job["Status"] == "Suspended":
                    self.jobs.start(job["JobId"])
                elif requested == "Cancelled" and job["Status"] not in ("Complete", "Failed", "Cancelled"):
                    job.update(Status="Cancelled", Terminated=now())
                else:
                    return self.error(400, "JobStatusException", f"Job is {job['Status']}; it cannot become {requested}")
                root = ET.Element(Q + "UpdateJobStatusResult")
                ET.SubElement(root, Q + "JobId").text = job["JobId"]
                ET.SubElement(root, Q + "Status").text = job["Status"]
                return self.reply(200, root)
            if parts[4] == "priority":
                job["Priority"] = int(query["priority"][0])
                root = ET.Element(Q + "UpdateJobPriorityResult")
                ET.SubElement(root, Q + "JobId").text = job["JobId"]
                ET.SubElement(root, Q + "Priority").text = str(job["Priority"])
                return self.reply(200, root)
        self.error(404, "NotFound", url.path)

    def find(self, job_id, account):
        job = self.jobs.jobs.get(job_id)
        if job is None or job["Account"] != account:
            # A bare <Error>, the other shape S3 Control uses.
            self.reply(404, body=f"<Error><Code>NoSuchJob</Code><Message>The specified job does not exist: {job_id}</Message></Error>".encode())
            return None
        return job


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    args = parser.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.s3_endpoint, region_name="us-east-1", aws_access_key_id=args.access_key,
                      aws_secret_access_key=args.secret_key,
                      config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                    response_checksum_validation="when_required"))
    Handler.jobs = Jobs(s3)
    serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
