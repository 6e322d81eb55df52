#!/usr/bin/env python3
"""
Self-test of replication.py against a fresh local Ceph server with boto3: what a replica keeps (body, metadata, content
type, tags), filters (prefix, tags), priority among rules to one destination, several destinations, delete markers with
and without DeleteMarkerReplication (and version deletes, never replicated), objects that predate the stand-in, replicas
not replicated again, PENDING while paused, FAILED on demand, the background poll's delay (a canary's wait), a
destination owned by another user, storage classes Ceph refuses, and Start-ReplicationStandIn in StandIns.psm1.
The S3 front, with boto3, raw signed requests and the AWS SDK for .NET: x-amz-replication-status on HeadObject and
GetObject (PENDING while paused and from the first read after a write, COMPLETED after the copy, FAILED, REPLICA on the
replica, none where no rule covers), writes (PutObject with and without Expect: 100-continue, multipart, aws-chunked with
chunk signatures, a chunked body), signed listings with query strings, refusals that do not stall the next request,
keep-alive connections, and the bytes it passes either way (against a recording server in this process).

  python3 tests/standins/replication_selftest.py [--server-json PATH] [--check NAME ...]

Ends with one line: N passed, N failed.
"""
import collections
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, unquote, urlencode

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from selftest_server import REPO, Checks, StandIn, pwsh, run, s3_client, HERE  # noqa: E402

check = Checks()


def rule(rule_id, destination, prefix="", priority=1, markers="Disabled", tags=None, storage_class=None):
    found = {"And": {"Prefix": prefix, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}} if tags else {"Prefix": prefix}
    target = {"Bucket": "arn:aws:s3:::" + destination}
    if storage_class:
        target["StorageClass"] = storage_class
    return {"ID": rule_id, "Priority": priority, "Filter": found, "Status": "Enabled",
            "DeleteMarkerReplication": {"Status": markers}, "Destination": target}


def configure(ctx, bucket, *rules, tell_standin=True):
    """PUT the configuration to the server (as a module would) and give it to the stand-in as PUT (Ceph drops parts)."""
    configuration = {"Role": "arn:aws:iam::111122223333:role/replication", "Rules": list(rules)}
    ctx.s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=configuration)
    if tell_standin:
        ctx.standin.control("POST", "/_standin/configuration", {"bucket": bucket, "configuration": configuration})


def bucket(ctx, name, client=None, versioned=True):
    client = client or ctx.s3
    client.create_bucket(Bucket=name)
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def status(ctx, bucket_name, key, version=None):
    query = {"bucket": bucket_name, "key": key, **({"versionId": version} if version else {})}
    path = "/_standin/status?" + urlencode(query)
    return ctx.standin.control("GET", path)


def sync(ctx):
    return ctx.standin.control("POST", "/_standin/sync", {})


def missing(client, bucket_name, key):
    try:
        client.head_object(Bucket=bucket_name, Key=key)
        return False
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def latest_is_delete_marker(client, bucket_name, key):
    listing = client.list_object_versions(Bucket=bucket_name, Prefix=key)
    return any(m["Key"] == key and m["IsLatest"] for m in listing.get("DeleteMarkers", []))


@check
def predating_objects_are_not_replicated(ctx):
    # 'old' was written before the stand-in started (and the rule is whole-bucket): S3 replicates new objects only.
    sync(ctx)
    assert missing(ctx.backup, "dst", "old"), "an object older than the stand-in was replicated"
    assert status(ctx, "src", "old")["ReplicationStatus"] is None


@check
def replica_keeps_body_metadata_content_type_and_tags(ctx):
    body = os.urandom(70_000)
    put = ctx.s3.put_object(Bucket="src", Key="docs/a b+c.bin", Body=body, ContentType="application/x-test",
                            CacheControl="max-age=5", ContentDisposition="attachment", Metadata={"owner": "ann", "n": "1"},
                            Tagging="team=blue&class=a%20b")
    assert status(ctx, "src", "docs/a b+c.bin") is not None
    sync(ctx)
    record = status(ctx, "src", "docs/a b+c.bin")
    assert record["ReplicationStatus"] == "COMPLETED", record
    assert record["VersionId"] == put["VersionId"]
    replica = ctx.backup.get_object(Bucket="dst", Key="docs/a b+c.bin")
    assert replica["Body"].read() == body
    assert replica["ContentType"] == "application/x-test" and replica["CacheControl"] == "max-age=5"
    assert replica["ContentDisposition"] == "attachment"
    assert replica["Metadata"] == {"owner": "ann", "n": "1"}, replica["Metadata"]
    tags = {t["Key"]: t["Value"] for t in ctx.backup.get_object_tagging(Bucket="dst", Key="docs/a b+c.bin")["TagSet"]}
    assert tags == {"team": "blue", "class": "a b"}, tags
    # What Ceph cannot match: the replica's version id and last-modified are its own; the records name both sides.
    destination = record["Destinations"][0]
    assert destination["ReplicaVersionId"] == replica["VersionId"]
    mirror = status(ctx, "dst", "docs/a b+c.bin")
    assert mirror["ReplicationStatus"] == "REPLICA" and mirror["SourceVersionId"] == put["VersionId"], mirror
    assert mirror["SourceLastModified"] == record["SourceLastModified"]


@check
def new_versions_replicate_in_order(ctx):
    for n in range(3):
        ctx.s3.put_object(Bucket="src", Key="v", Body=f"version {n}".encode())
    sync(ctx)
    assert ctx.backup.get_object(Bucket="dst", Key="v")["Body"].read() == b"version 2"
    versions = [v for v in ctx.backup.list_object_versions(Bucket="dst", Prefix="v")["Versions"] if v["Key"] == "v"]
    assert len(versions) == 3, versions


@check
def background_poll_replicates_without_being_told(ctx):
    # A canary's view: write, then wait (bounded) for the replica with the same content.
    started = time.time()
    ctx.s3.put_object(Bucket="src", Key="canary/1", Body=b"canary")
    while missing(ctx.backup, "dst", "canary/1"):
        assert time.time() - started < 10, "no replica within 10 s"
        time.sleep(0.1)
    assert ctx.backup.get_object(Bucket="dst", Key="canary/1")["Body"].read() == b"canary"
    print(f"  replica after {time.time() - started:.2f} s")


@check
def paused_replication_leaves_versions_pending(ctx):
    ctx.standin.control("POST", "/_standin/pause", {})
    try:
        ctx.s3.put_object(Bucket="src", Key="canary/2", Body=b"late")
        sync(ctx)
        time.sleep(1)
        assert status(ctx, "src", "canary/2")["ReplicationStatus"] == "PENDING"
        assert missing(ctx.backup, "dst", "canary/2")
    finally:
        ctx.standin.control("POST", "/_standin/resume", {})
    sync(ctx)
    assert status(ctx, "src", "canary/2")["ReplicationStatus"] == "COMPLETED"
    assert not missing(ctx.backup, "dst", "canary/2")


@check
def chosen_keys_fail(ctx):
    ctx.standin.control("POST", "/_standin/fail", {"keys": ["broken"]})
    ctx.s3.put_object(Bucket="src", Key="broken", Body=b"x")
    sync(ctx)
    record = status(ctx, "src", "broken")
    assert record["ReplicationStatus"] == "FAILED" and record["Destinations"][0]["Error"] == "StandInFailure", record
    assert missing(ctx.backup, "dst", "broken")
    ctx.standin.control("POST", "/_standin/unfail", {"keys": []})
    # FAILED is final for that version (S3 leaves it to Batch Replication); the next version replicates.
    ctx.s3.put_object(Bucket="src", Key="broken", Body=b"y")
    sync(ctx)
    assert status(ctx, "src", "broken")["ReplicationStatus"] == "COMPLETED"
    assert status(ctx, "src", "broken", record["VersionId"])["ReplicationStatus"] == "FAILED"


@check
def delete_markers_follow_delete_marker_replication(ctx):
    ctx.s3.put_object(Bucket="src", Key="del/kept", Body=b"1")
    sync(ctx)
    # The configuration as Ceph stores it (DeleteMarkerReplication dropped) counts as Disabled.
    ctx.standin.control("POST", "/_standin/configuration", {"bucket": "src", "configuration": None})
    ctx.s3.delete_object(Bucket="src", Key="del/kept")
    sync(ctx)
    assert not missing(ctx.backup, "dst", "del/kept"), "a delete marker was replicated without DeleteMarkerReplication"
    # Enabled: the delete marker is replicated, the destination's newest version becomes a delete marker.
    configure(ctx, "src", rule("all", "dst", markers="Enabled"))
    ctx.s3.put_object(Bucket="src", Key="del/gone", Body=b"2")
    sync(ctx)
    ctx.s3.delete_object(Bucket="src", Key="del/gone")
    sync(ctx)
    assert latest_is_delete_marker(ctx.backup, "dst", "del/gone")
    assert status(ctx, "src", "del/gone")["IsDeleteMarker"] is True
    # Deleting a particular version is never replicated.
    put = ctx.s3.put_object(Bucket="src", Key="del/version", Body=b"3")
    sync(ctx)
    ctx.s3.delete_object(Bucket="src", Key="del/version", VersionId=put["VersionId"])
    sync(ctx)
    assert ctx.backup.get_object(Bucket="dst", Key="del/version")["Body"].read() == b"3"
    configure(ctx, "src", rule("all", "dst"))


@check
def prefix_and_tag_filters(ctx):
    configure(ctx, "src", rule("logs", "dst", prefix="logs/", priority=2),
              rule("tagged", "dst", prefix="tagged/", priority=1, tags={"backup": "yes"}))
    ctx.s3.put_object(Bucket="src", Key="other/x", Body=b"o")
    ctx.s3.put_object(Bucket="src", Key="logs/x", Body=b"l")
    ctx.s3.put_object(Bucket="src", Key="tagged/yes", Body=b"t", Tagging="backup=yes")
    ctx.s3.put_object(Bucket="src", Key="tagged/no", Body=b"n", Tagging="backup=no")
    sync(ctx)
    assert missing(ctx.backup, "dst", "other/x") and status(ctx, "src", "other/x")["ReplicationStatus"] is None
    assert not missing(ctx.backup, "dst", "logs/x")
    assert not missing(ctx.backup, "dst", "tagged/yes")
    assert missing(ctx.backup, "dst", "tagged/no")
    # A tag-based rule never replicates delete markers, whatever its DeleteMarkerReplication says.
    configure(ctx, "src", rule("tagged", "dst", prefix="tagged/", markers="Enabled", tags={"backup": "yes"}))
    ctx.s3.delete_object(Bucket="src", Key="tagged/yes")
    sync(ctx)
    assert not missing(ctx.backup, "dst", "tagged/yes")
    configure(ctx, "src", rule("all", "dst"))


@check
def highest_priority_rule_decides_per_destination(ctx):
    configure(ctx, "src", rule("low", "dst", prefix="", priority=1, markers="Enabled"),
              rule("high", "dst", prefix="p/", priority=5, markers="Disabled"),
              rule("second", "dst2", prefix="p/", priority=3, markers="Enabled"))
    ctx.s3.put_object(Bucket="src", Key="p/1", Body=b"p")
    ctx.s3.put_object(Bucket="src", Key="q/1", Body=b"q")
    sync(ctx)
    record = status(ctx, "src", "p/1")
    assert {(d["Bucket"], d["RuleId"]) for d in record["Destinations"]} == {("dst", "high"), ("dst2", "second")}, record
    assert record["ReplicationStatus"] == "COMPLETED"
    assert not missing(ctx.backup, "dst2", "p/1") and missing(ctx.backup, "dst2", "q/1")
    ctx.s3.delete_object(Bucket="src", Key="p/1")
    ctx.s3.delete_object(Bucket="src", Key="q/1")
    sync(ctx)
    assert not missing(ctx.backup, "dst", "p/1"), "'high' (Disabled) should decide for dst"
    assert latest_is_delete_marker(ctx.backup, "dst2", "p/1"), "'second' (Enabled) decides for dst2"
    assert latest_is_delete_marker(ctx.backup, "dst", "q/1"), "'low' (Enabled) decides for q/"
    configure(ctx, "src", rule("all", "dst"))


@check
def failure_at_one_destination_fails_the_version(ctx):
    configure(ctx, "src", rule("one", "dst"), rule("two", "no-such-bucket", priority=2))
    ctx.s3.put_object(Bucket="src", Key="multi", Body=b"m")
    sync(ctx)
    record = status(ctx, "src", "multi")
    assert record["ReplicationStatus"] == "FAILED", record
    assert sorted(d["Status"] for d in record["Destinations"]) == ["COMPLETED", "FAILED"]
    configure(ctx, "src", rule("all", "dst"))


@check
def replicas_are_not_replicated_again(ctx):
    # src -> mid -> end, all of one user (a second stand-in that writes with the source's keys): a replica in 'mid' is
    # not copied on to 'end', a direct write to 'mid' is.
    for name in ("csrc", "mid", "end"):
        bucket(ctx, name)
    configure(ctx, "csrc", rule("mid", "mid"), tell_standin=False)
    configure(ctx, "mid", rule("end", "end"), tell_standin=False)
    same = StandIn(ctx.folder, "replication.py", "--s3-endpoint", ctx.server.endpoint, "--access-key", ctx.server.access_key,
                   "--secret-key", ctx.server.secret_key, "--interval-ms", "60000", name="replication-same")
    try:
        ctx.s3.put_object(Bucket="csrc", Key="chain", Body=b"c")
        ctx.s3.put_object(Bucket="mid", Key="direct", Body=b"d")
        same.control("POST", "/_standin/sync", {})
        assert not missing(ctx.s3, "mid", "chain") and missing(ctx.s3, "end", "chain")
        assert not missing(ctx.s3, "end", "direct")
        record = same.control("GET", "/_standin/status?bucket=mid&key=chain")
        assert record["ReplicationStatus"] == "REPLICA", record
    finally:
        same.stop()


@check
def storage_class_ceph_refuses_is_recorded(ctx):
    configure(ctx, "src", rule("ia", "dst", storage_class="STANDARD_IA"))
    ctx.s3.put_object(Bucket="src", Key="ia", Body=b"i")
    sync(ctx)
    destination = status(ctx, "src", "ia")["Destinations"][0]
    assert destination["StorageClass"] == "STANDARD_IA" and destination["StorageClassApplied"] is False, destination
    assert not missing(ctx.backup, "dst", "ia")
    configure(ctx, "src", rule("all", "dst"))


@check
def bucket_listing_of_statuses(ctx):
    listed = ctx.standin.control("GET", "/_standin/status?bucket=src")["Objects"]
    keys = {r["Key"] for r in listed}
    assert {"docs/a b+c.bin", "broken", "canary/2"} <= keys, keys
    log = ctx.standin.control("GET", "/_standin/log")
    assert any(e["Event"] == "Paused" for e in log) and any(e["Event"] == "Failed" for e in log)


@check
def standins_module_starts_and_stops_it(ctx):
    module = os.path.join(HERE, "StandIns.psm1")
    sdk = ", ".join(f"'{path}'" for path in sdk_assemblies())
    out = pwsh(f"""$ErrorActionPreference = 'Stop'; Import-Module '{module}'
        $r = Start-ReplicationStandIn -S3Endpoint '{ctx.server.endpoint}' -AccessKey '{ctx.server.access_key}' `
            -SecretKey '{ctx.server.secret_key}' -DestinationAccessKey '{ctx.backup_keys[0]}' `
            -DestinationSecretKey '{ctx.backup_keys[1]}' -Paused -Folder '{ctx.folder}/module'
        try {{
            $state = Invoke-RestMethod -Method Post -Uri "$($r.Endpoint)/_standin/sync" -NoProxy
            $record = Invoke-RestMethod -Uri "$($r.Endpoint)/_standin/status?bucket=src&key=nothing" -NoProxy
            # The S3 front with the AWS SDK for .NET (the product's client): PutObject as it sends it (aws-chunked with
            # chunk signatures, Expect: 100-continue), then GetObjectMetadata's ReplicationStatus, 16 at once.
            foreach ($assembly in {sdk}) {{ Add-Type -Path $assembly }}
            $config = [Amazon.S3.AmazonS3Config]::new()
            $config.ServiceURL = $r.S3Endpoint
            $config.ForcePathStyle = $true
            $config.AuthenticationRegion = 'us-east-1'
            $config.RequestChecksumCalculation = [Amazon.Runtime.RequestChecksumCalculation]::WHEN_REQUIRED
            $config.ResponseChecksumValidation = [Amazon.Runtime.ResponseChecksumValidation]::WHEN_REQUIRED
            $keys = [Amazon.Runtime.BasicAWSCredentials]::new('{ctx.server.access_key}', '{ctx.server.secret_key}')
            $s3 = [Amazon.S3.AmazonS3Client]::new($keys, $config)
            $put = [Amazon.S3.Model.PutObjectRequest]::new()
            $put.BucketName = 'src'; $put.Key = 'front/dotnet'; $put.ContentBody = 'd' * 3000000
            $written = $s3.PutObjectAsync($put).GetAwaiter().GetResult()
            $heads = @(1..16 | ForEach-Object {{ $s3.GetObjectMetadataAsync('src', 'front/dotnet') }})
            [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$heads)
            $old = $s3.GetObjectMetadataAsync('src', 'old').GetAwaiter().GetResult()
            @{{ Paused = $state.Paused; Status = $record.ReplicationStatus; Front = $r.S3Endpoint -eq "http://127.0.0.1:$($r.S3Port)"
                Heads = @($heads | ForEach-Object {{ "$($_.Result.ReplicationStatus)" }} | Sort-Object -Unique)
                Version = $heads[0].Result.VersionId -eq $written.VersionId; Old = "$($old.ReplicationStatus)" }} | ConvertTo-Json -Compress
        }} finally {{ Stop-StandIn $r }}""")
    result = json.loads(out.strip().splitlines()[-1])
    # That stand-in is paused: its own record of the new version stays PENDING. 'old' predates it: no header.
    assert result == {"Paused": True, "Status": None, "Front": True, "Heads": ["PENDING"], "Version": True, "Old": ""}, result


# --- the S3 front -----------------------------------------------------------------------------------------------------

def replication_status(client, bucket_name, key, **arguments):
    """What HeadObject through a client says (None without x-amz-replication-status), checked against the raw header."""
    answer = client.head_object(Bucket=bucket_name, Key=key, **arguments)
    assert answer.get("ReplicationStatus") == answer["ResponseMetadata"]["HTTPHeaders"].get("x-amz-replication-status")
    return answer.get("ReplicationStatus")


def sigv4(method, target, headers, payload_hash, access, secret, when=None):
    """Signs a raw request (path-style, us-east-1): returns the headers with x-amz-date and Authorization, and the seed
    signature and scope for aws-chunked streaming signatures."""
    when = when or time.gmtime()
    stamp, day = time.strftime("%Y%m%dT%H%M%SZ", when), time.strftime("%Y%m%d", when)
    headers = dict(headers, **{"x-amz-date": stamp, "x-amz-content-sha256": payload_hash})
    path, _, query = target.partition("?")
    pairs = sorted((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~"))
                   for k, _, v in (part.partition("=") for part in query.split("&") if part))
    names = sorted(name.lower() for name in headers)
    lowered = {name.lower(): " ".join(str(value).split()) for name, value in headers.items()}
    canonical = "\n".join([method, path, "&".join(f"{k}={v}" for k, v in pairs),
                           "".join(f"{name}:{lowered[name]}\n" for name in names), ";".join(names), payload_hash])
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={';'.join(names)}, "
                                f"Signature={signature}")
    return headers, signature, key, stamp, scope


def streaming_body(data, piece, seed, key, stamp, scope):
    """An aws-chunked body with a signature per chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), as the .NET SDK sends it."""
    empty = hashlib.sha256(b"").hexdigest()
    previous, out = seed, []
    for chunk in [data[i:i + piece] for i in range(0, len(data), piece)] + [b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, empty, hashlib.sha256(chunk).hexdigest()])
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), previous.encode(), chunk))
    return b"".join(out)


class Raw:
    """One client connection to the front, requests written byte by byte (what boto3 cannot be made to send)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def readable(self, seconds):
        return bool(self.buffer) or bool(select.select([self.sock], [], [], seconds)[0])

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the front closed the connection")
        self.buffer += data

    def head(self):
        """The next answer's status line and headers: (status, [(name, value)], raw bytes)."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = raw.decode("iso-8859-1").split("\r\n")
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        return int(lines[0].split()[1]), headers, raw + b"\r\n\r\n"

    def read(self, count):
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def answer(self, method="GET"):
        status, headers, raw = self.head()
        while status == 100:
            status, headers, raw = self.head()
        found = {name.lower(): value for name, value in headers}
        body = b"" if method == "HEAD" else self.read(int(found.get("content-length", 0)))
        return status, found, body

    def closed(self, seconds=5):
        if self.buffer:
            return False
        if not select.select([self.sock], [], [], seconds)[0]:
            return False
        return self.sock.recv(1) == b""

    def close(self):
        self.sock.close()


def raw_request(method, target, headers, body=b""):
    lines = [f"{method} {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@check
def front_status_pending_while_paused_then_completed(ctx):
    ctx.standin.control("POST", "/_standin/pause", {})
    try:
        put = ctx.front.put_object(Bucket="src", Key="front/p q+r", Body=b"front")
        # No poll has run since the PUT: the front looks itself, so the version is PENDING from its first read.
        assert replication_status(ctx.front, "src", "front/p q+r") == "PENDING"
        assert replication_status(ctx.front, "src", "front/p q+r", VersionId=put["VersionId"]) == "PENDING"
        sync(ctx)
        got = ctx.front.get_object(Bucket="src", Key="front/p q+r")
        assert got["ReplicationStatus"] == "PENDING" and got["Body"].read() == b"front", got
        assert missing(ctx.backup, "dst", "front/p q+r")
    finally:
        ctx.standin.control("POST", "/_standin/resume", {})
    sync(ctx)
    assert replication_status(ctx.front, "src", "front/p q+r") == "COMPLETED"
    ranged = ctx.front.get_object(Bucket="src", Key="front/p q+r", VersionId=put["VersionId"], Range="bytes=1-2")
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206 and ranged["Body"].read() == b"ro"
    assert ranged["ReplicationStatus"] == "COMPLETED"
    # The replica, read with its owner's keys through the front.
    assert replication_status(ctx.front_backup, "dst", "front/p q+r") == "REPLICA"
    # A newer version is PENDING again (paused), the older one stays COMPLETED.
    ctx.standin.control("POST", "/_standin/pause", {})
    try:
        ctx.front.put_object(Bucket="src", Key="front/p q+r", Body=b"newer")
        assert replication_status(ctx.front, "src", "front/p q+r") == "PENDING"
        assert replication_status(ctx.front, "src", "front/p q+r", VersionId=put["VersionId"]) == "COMPLETED"
    finally:
        ctx.standin.control("POST", "/_standin/resume", {})
    sync(ctx)


@check
def front_status_failed_for_a_failing_key(ctx):
    ctx.standin.control("POST", "/_standin/fail", {"keys": ["front/broken"]})
    try:
        ctx.front.put_object(Bucket="src", Key="front/broken", Body=b"x")
        sync(ctx)
        assert replication_status(ctx.front, "src", "front/broken") == "FAILED"
        assert ctx.front.get_object(Bucket="src", Key="front/broken")["ReplicationStatus"] == "FAILED"
    finally:
        ctx.standin.control("POST", "/_standin/unfail", {"keys": []})


@check
def front_leaves_untracked_objects_without_header(ctx):
    # Before the stand-in (not replicated), a key no rule covers, a bucket without rules, another operation on a
    # tracked object (GetObjectTagging), and the server's own answer (straight to Ceph: never the header).
    assert replication_status(ctx.front, "src", "old") is None
    configure(ctx, "src", rule("only", "dst", prefix="only/"))
    try:
        ctx.front.put_object(Bucket="src", Key="front/uncovered", Body=b"u")
        assert replication_status(ctx.front, "src", "front/uncovered") is None
    finally:
        configure(ctx, "src", rule("all", "dst"))
    ctx.front.create_bucket(Bucket="plain")
    ctx.front.put_object(Bucket="plain", Key="k", Body=b"k")
    assert replication_status(ctx.front, "plain", "k") is None
    tagging = ctx.front.get_object_tagging(Bucket="src", Key="front/p q+r")
    assert "x-amz-replication-status" not in tagging["ResponseMetadata"]["HTTPHeaders"]
    assert replication_status(ctx.s3, "src", "front/p q+r") is None
    # A missing key is the server's 404, unchanged.
    try:
        ctx.front.head_object(Bucket="src", Key="front/none")
        raise AssertionError("HEAD of a missing key answered")
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    log = ctx.standin.control("GET", "/_standin/front")
    assert any(e["Target"].startswith("/src/front/p%20q%2Br") and e["ReplicationStatus"] == "COMPLETED" for e in log), log


@check
def front_carries_writes_multipart_and_listings(ctx):
    small = os.urandom(1000)
    large = os.urandom(3 * 1024 * 1024 + 17)     # over 1 MiB: botocore sends Expect: 100-continue
    odd = "front/ü b+c=d&e?f"
    ctx.front.put_object(Bucket="src", Key=odd, Body=small, Metadata={"m": "1"}, Tagging="t=1")
    ctx.front.put_object(Bucket="src", Key="front/large", Body=large)
    assert ctx.s3.get_object(Bucket="src", Key=odd)["Body"].read() == small
    assert ctx.front.get_object(Bucket="src", Key="front/large")["Body"].read() == large
    assert ctx.front.head_object(Bucket="src", Key=odd)["Metadata"] == {"m": "1"}
    # Multipart: a 5 MiB part and a last small one, completed and read back through the front.
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(123_457)]
    upload = ctx.front.create_multipart_upload(Bucket="src", Key="front/multipart", ContentType="application/x-parts")
    done = []
    for number, data in enumerate(parts, 1):
        answer = ctx.front.upload_part(Bucket="src", Key="front/multipart", UploadId=upload["UploadId"], PartNumber=number,
                                       Body=data)
        done.append({"PartNumber": number, "ETag": answer["ETag"]})
    listed = ctx.front.list_parts(Bucket="src", Key="front/multipart", UploadId=upload["UploadId"])
    assert [p["Size"] for p in listed["Parts"]] == [len(p) for p in parts]
    ctx.front.complete_multipart_upload(Bucket="src", Key="front/multipart", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": done})
    got = ctx.front.get_object(Bucket="src", Key="front/multipart")
    assert got["Body"].read() == b"".join(parts) and got["ContentType"] == "application/x-parts"
    assert got["ReplicationStatus"] in ("PENDING", "COMPLETED"), got.get("ReplicationStatus")
    sync(ctx)
    assert replication_status(ctx.front, "src", "front/multipart") == "COMPLETED"
    assert ctx.backup.get_object(Bucket="dst", Key="front/multipart")["Body"].read() == b"".join(parts)
    # Signed listings with query strings (prefix, max-keys, markers from page to page).
    for n in range(5):
        ctx.front.put_object(Bucket="src", Key=f"front/list/{n}", Body=b"l")
    pages = list(ctx.front.get_paginator("list_object_versions").paginate(Bucket="src", Prefix="front/list/",
                                                                           PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and [v["Key"] for p in pages for v in p.get("Versions", [])] == [f"front/list/{n}" for n in range(5)]
    listing = ctx.front.list_objects_v2(Bucket="src", Prefix="front/", Delimiter="/", StartAfter="front/a")
    assert "front/large" in [o["Key"] for o in listing["Contents"]] and {"Prefix": "front/list/"} in listing["CommonPrefixes"]
    ctx.front.delete_objects(Bucket="src", Delete={"Objects": [{"Key": "front/list/0"}, {"Key": "front/list/1"}]})
    assert missing(ctx.s3, "src", "front/list/0")


@check
def front_carries_streaming_signed_and_chunked_bodies(ctx):
    port, access, secret = ctx.front_port, ctx.server.access_key, ctx.server.secret_key
    host = f"127.0.0.1:{port}"
    data = os.urandom(200_000)
    # aws-chunked with a signature per chunk (boto3 has no way to send it; the .NET SDK does for every PutObject).
    # The encoded length is signed, so it is counted first (every chunk signature has 64 hex digits).
    encoded = len(streaming_body(data, 65536, "0" * 64, b"key", "stamp", "scope"))
    headers, seed, key, stamp, scope = sigv4("PUT", "/src/front/streamed", {
        "Host": host, "Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(encoded)}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", access, secret)
    body = streaming_body(data, 65536, seed, key, stamp, scope)
    client = Raw(port)
    try:
        client.send(raw_request("PUT", "/src/front/streamed", dict(headers, Expect="100-continue")))
        status, _, raw = client.head()
        assert status == 100, raw
        client.send(body)
        status, found, answer = client.answer()
        assert status == 200, (status, answer)
        assert ctx.s3.get_object(Bucket="src", Key="front/streamed")["Body"].read() == data
        # A chunked request body goes to the server chunk by chunk; Ceph 16 refuses a PUT without Content-Length (411
        # MissingContentLength), through the front as straight, and the connection carries the next request.
        chunked, _, _, _, _ = sigv4("PUT", "/src/front/chunked", {"Host": host, "Transfer-Encoding": "chunked"},
                                    "UNSIGNED-PAYLOAD", access, secret)
        framed = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        client.send(raw_request("PUT", "/src/front/chunked", chunked) + framed)
        through = client.answer()
        direct = Raw(ctx.server.info["Port"])
        try:
            straight, _, _, _, _ = sigv4("PUT", "/src/front/chunked", {"Host": f"127.0.0.1:{ctx.server.info['Port']}",
                                         "Transfer-Encoding": "chunked"}, "UNSIGNED-PAYLOAD", access, secret)
            direct.send(raw_request("PUT", "/src/front/chunked", straight) + framed)
            straight = direct.answer()
        finally:
            direct.close()
        code = lambda answer: re.search(rb"<Code>(\w+)</Code>", answer[2]).group(1) if answer[2] else b""
        assert (through[0], code(through)) == (straight[0], code(straight)), (through, straight)
        print(f"  chunked PUT: {through[0]} {code(through).decode()} through the front and straight")
        head, _, _, _, _ = sigv4("HEAD", "/src/front/streamed", {"Host": host}, hashlib.sha256(b"").hexdigest(), access, secret)
        client.send(raw_request("HEAD", "/src/front/streamed", head))
        status, found, _ = client.answer("HEAD")
        assert status == 200 and found["content-length"] == str(len(data))
        assert found["x-amz-replication-status"] in ("PENDING", "COMPLETED"), found
    finally:
        client.close()


@check
def front_refusals_do_not_stall_the_connection(ctx):
    # A wrong secret: Ceph answers 403 AccessDenied as soon as the headers are in and keeps its connection; straight to
    # Ceph the next request on it would wait ~60 s. The front's own connections to Ceph are fresh per request.
    port, host = ctx.front_port, f"127.0.0.1:{ctx.front_port}"
    data = os.urandom(4 * 1024 * 1024)
    client = Raw(port)
    try:
        for expect in (False, True):
            headers, _, _, _, _ = sigv4("PUT", "/src/front/refused", {"Host": host, "Content-Length": str(len(data))},
                                        "UNSIGNED-PAYLOAD", ctx.server.access_key, "not-the-secret")
            started = time.time()
            if expect:
                client.send(raw_request("PUT", "/src/front/refused", dict(headers, Expect="100-continue")))
                status, found, body = client.answer()
                # Refused before the body: no 100 Continue, and the connection ends (the body may never come).
                assert status == 403 and found.get("connection") == "close" and client.closed(), (status, found)
            else:
                client.send(raw_request("PUT", "/src/front/refused", headers) + data)
                status, found, body = client.answer()
                assert status == 403 and b"<Code>AccessDenied</Code>" in body and "connection" not in found, (status, found, body)
                # The same connection, at once.
                get, _, _, _, _ = sigv4("GET", "/src/old", {"Host": host}, hashlib.sha256(b"").hexdigest(),
                                        ctx.server.access_key, ctx.server.secret_key)
                client.send(raw_request("GET", "/src/old", get))
                status, found, body = client.answer()
                assert status == 200 and body == b"before the stand-in", (status, body)
                assert "x-amz-replication-status" not in found
            assert time.time() - started < 5, f"{time.time() - started:.1f} s"
        # boto3 (urllib3's pool) after a refusal with Expect: the next call through the front works at once.
        wrong = s3_client(ctx.front_endpoint, ctx.server.access_key, "not-the-secret")
        try:
            wrong.put_object(Bucket="src", Key="front/refused", Body=data)
            raise AssertionError("a PUT with the wrong secret was taken")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error.response
        started = time.time()
        assert ctx.front.get_object(Bucket="src", Key="old")["Body"].read() == b"before the stand-in"
        assert time.time() - started < 5
    finally:
        client.close()


@check
def front_keeps_connections_alive(ctx):
    # One http.client connection, many signed requests: the socket stays the same (http.client would reconnect quietly).
    connection = http.client.HTTPConnection("127.0.0.1", ctx.front_port, timeout=30)
    host = f"127.0.0.1:{ctx.front_port}"
    try:
        connection.connect()
        first = connection.sock
        for n in range(20):
            method, body = ("PUT", f"body {n}".encode()) if n % 2 else ("GET", b"")
            target = f"/src/front/alive/{n // 2}" if method == "PUT" else "/src?list-type=2&prefix=front%2Falive%2F&max-keys=3"
            headers, _, _, _, _ = sigv4(method, target, {"Host": host, "Content-Length": str(len(body))},
                                        hashlib.sha256(body).hexdigest(), ctx.server.access_key, ctx.server.secret_key)
            connection.request(method, target, body=body or None, headers=headers)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, (n, answer.status)
            assert connection.sock is first and answer.getheader("Connection") is None
    finally:
        connection.close()
    # Many at once (boto3's pool holds 10 connections), all answered.
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda n: replication_status(ctx.front, "src", "front/p q+r"), range(64)))
    assert set(statuses) == {"COMPLETED"}, set(statuses)


@check
def front_relays_bytes_as_framed(ctx):
    # The front in this process, before a recording server: what reaches the server is what the client wrote, and what
    # the client gets is what the server wrote (but Connection), with the header added to a tracked version.
    import replication

    class Tracked:
        front_log = collections.deque()

        @staticmethod
        def header_status(bucket, key, version):
            return "COMPLETED" if (bucket, key, version) == ("b", "k k", "v1") else None

    upstream = socket.create_server(("127.0.0.1", 0))
    received, scripts = [], []

    def serve_upstream():
        while scripts:
            script = scripts.pop(0)
            connection, _ = upstream.accept()
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                if script.get("continue"):
                    connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                while len(data) < script["length"]:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.append(data)
                connection.sendall(script["answer"])
                if script.get("then_close"):
                    connection.shutdown(socket.SHUT_WR)

    front_class = type("RecordingFront", (replication.Front,), {"upstream": upstream.getsockname(), "replicator": Tracked})
    server = replication.listen(front_class, os.path.join(ctx.folder, "recording-front.port"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Raw(server.server_address[1])
    try:
        # 1. A chunked request with a chunk extension and a trailer field; a chunked answer with a trailer.
        request = (b"PUT /b/k?x-id=PutObject HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Amz-Date: 20260101T000000Z\r\n"
                   b"transfer-encoding: chunked\r\nx-amz-meta-Two: a\r\nx-amz-meta-two: b\r\n\r\n"
                   b"3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nx-amz-checksum-crc32: AAAAAA==\r\n\r\n")
        answer = (b"HTTP/1.1 200 OK\r\nx-amz-request-id: r1\r\nTransfer-Encoding: chunked\r\nConnection: Keep-Alive\r\n\r\n"
                  b"4;e=1\r\nwxyz\r\n0\r\nx-trailer: t\r\n\r\n")
        scripts.append({"length": len(request), "answer": answer})
        worker = threading.Thread(target=serve_upstream, daemon=True)
        # 2. Expect: 100-continue, passed on; the server's 100 is the one the client sees.
        expect = (b"PUT /b/k2 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        scripts.append({"length": len(expect) + 5, "continue": True,
                        "answer": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"e\"\r\n\r\n"})
        # 3. A GET of a tracked version (the answer's version id), the answer's length given by closing.
        get = b"GET /b/k%20k HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"
        scripts.append({"length": len(get), "then_close": True,
                        "answer": b"HTTP/1.1 200 OK\r\nx-amz-version-id: v1\r\nContent-Type: text/plain\r\n\r\nuntil close"})
        worker.start()
        client.send(request)
        status, headers, raw = client.head()
        relayed = raw + client.read(len(b"4;e=1\r\nwxyz\r\n0\r\nx-trailer: t\r\n\r\n"))
        assert received[0] == request, received[0]
        assert relayed == answer.replace(b"Connection: Keep-Alive\r\n", b""), relayed
        client.send(expect)
        status, _, raw = client.head()
        assert status == 100, raw
        client.send(b"hello")
        status, headers, raw = client.head()
        assert status == 200 and received[1] == expect + b"hello", received[1]
        client.send(get)
        status, headers, raw = client.head()
        found = dict((name.lower(), value) for name, value in headers)
        assert found.get("x-amz-replication-status") == "COMPLETED" and found.get("connection") == "close", headers
        body, client.buffer = client.buffer, b""
        while True:
            data = client.sock.recv(65536)
            if not data:
                break
            body += data
        assert body == b"until close", body
        assert received[2] == get
    finally:
        client.close()
        server.shutdown()
        upstream.close()


def sdk_assemblies():
    """AWSSDK.Core and AWSSDK.S3 for .NET: the published module's (S3R_MODULE_PATH), else the NuGet cache's of the version
    Directory.Packages.props names (there once the module has been built)."""
    published = os.environ.get("S3R_MODULE_PATH")
    if published and os.path.exists(os.path.join(published, "dependencies", "AWSSDK.S3.dll")):
        return [os.path.join(published, "dependencies", name) for name in ("AWSSDK.Core.dll", "AWSSDK.S3.dll")]
    packages = open(os.path.join(REPO, "Directory.Packages.props")).read()
    version = re.search(r'Include="AWSSDK.S3" Version="([^"]+)"', packages).group(1)
    cache = os.path.join(os.path.expanduser("~"), ".nuget", "packages")
    nuspec = open(os.path.join(cache, "awssdk.s3", version, "awssdk.s3.nuspec")).read()
    core = re.search(r'id="AWSSDK.Core" version="\[?([^,\]"]+)', nuspec).group(1)
    found = [os.path.join(cache, "awssdk.core", core, "lib", "net8.0", "AWSSDK.Core.dll"),
             os.path.join(cache, "awssdk.s3", version, "lib", "net8.0", "AWSSDK.S3.dll")]
    for path in found:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: build the module once (dotnet build) so that the NuGet cache has the AWS SDK")
    return found


def set_up(ctx):
    suffix = str(int(time.time()))[-6:]
    ctx.backup_keys = ctx.server.user("backup" + suffix)
    ctx.backup = ctx.server.client(*ctx.backup_keys)
    bucket(ctx, "src")
    bucket(ctx, "dst", ctx.backup)
    bucket(ctx, "dst2", ctx.backup)
    ctx.s3.put_object(Bucket="src", Key="old", Body=b"before the stand-in")
    configure(ctx, "src", rule("all", "dst"), tell_standin=False)
    front_file = os.path.join(ctx.folder, "replication-s3.port")
    ctx.standin = StandIn(ctx.folder, "replication.py", "--s3-endpoint", ctx.server.endpoint,
                          "--access-key", ctx.server.access_key, "--secret-key", ctx.server.secret_key,
                          "--destination-access-key", ctx.backup_keys[0], "--destination-secret-key", ctx.backup_keys[1],
                          "--front-port-file", front_file)
    ctx.front_port = int(open(front_file).read())
    ctx.front_endpoint = f"http://127.0.0.1:{ctx.front_port}"
    ctx.front = s3_client(ctx.front_endpoint, ctx.server.access_key, ctx.server.secret_key)
    ctx.front_backup = s3_client(ctx.front_endpoint, *ctx.backup_keys)
    configure(ctx, "src", rule("all", "dst"))


if __name__ == "__main__":
    sys.exit(run(__doc__, "replication-selftest-", check, set_up))
