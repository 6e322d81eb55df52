#!/usr/bin/env python3
"""
A loopback stand-in for S3 Replication on the local Ceph server, which stores replication configurations but never
replicates (one zone). It polls the source account's buckets (ListBuckets, ListObjectVersions, GetBucketReplication) and
copies each new object version to the destination bucket of the enabled rules that cover it, as S3 would:

- A rule covers a version when its filter does (Filter.Prefix, Filter.Tag, Filter.And; a V1 rule's Prefix). Of the rules
  that cover a version and name the same destination bucket, the one with the highest Priority decides (botocore's s3
  model: "if there are two or more rules with the same destination bucket, then objects will be replicated according to
  the rule with the highest priority"); rules to other destinations replicate too.
- The replica keeps the key, the body, Content-Type and the other standard headers, the user metadata and the tags
  (GET with the source keys, PUT with the destination keys: a real copy, also between two users).
- Delete markers (a DELETE without a version id) are replicated only where the deciding rule has
  DeleteMarkerReplication Enabled and no tag filter (AWS: "delete marker replication isn't supported for tag-based
  replication rules"); deleting a particular version, or a delete marker, is never replicated.
- Versions that were there when the stand-in first saw their bucket at start-up are not replicated (S3 replicates new
  objects only; existing ones need Batch Replication); versions the stand-in wrote itself (replicas) are never replicated
  again (S3 does not chain replication).
- The source version's status goes PENDING -> COMPLETED, or FAILED (a failed copy, or a key named in /_standin/fail);
  with several destinations it is COMPLETED only when all are, FAILED when any is (the s3 model's ReplicationStatus
  documentation). FAILED versions are not retried (S3 leaves them to Batch Replication).

What the local server cannot show and the stand-in records instead (GET /_standin/status):
- x-amz-replication-status cannot be set on Ceph objects: the status of each source version (and REPLICA for each
  replica) is served at the control endpoint, and in HeadObject/GetObject answers only through the S3 front (below).
- A replica on S3 has the source's version id and creation time (last-modified); on Ceph the PUT gets a new version id
  and the time of the copy. The record names both: ReplicaVersionId beside VersionId, SourceLastModified.
- Ceph drops DeleteMarkerReplication (and keeps neither a V1 rule's Prefix nor an empty Filter): a rule read from the
  server counts as DeleteMarkerReplication Disabled. POST /_standin/configuration gives the stand-in the configuration
  as it was PUT, to use instead of the server's.
- Ceph refuses storage classes other than STANDARD in a PUT: a rule's Destination.StorageClass is recorded
  (StorageClass, StorageClassApplied false) and the replica is written as STANDARD.
- Not modelled: SSE-KMS SourceSelectionCriteria, ReplicaModifications, Replication Time Control, metrics, the rule's
  Role and Account/AccessControlTranslation (the stand-in writes with the keys it was given), object lock.

The S3 front (--front-port-file; StandIns.psm1's Start-ReplicationStandIn returns it as S3Endpoint): S3 on a second
loopback port, for clients that read the replication status where S3 puts it, in x-amz-replication-status on HeadObject
and GetObject (AWSSDK.S3's GetObjectMetadataResponse.ReplicationStatus, boto3's head_object()["ReplicationStatus"]).
- Each request goes to the server as it came: the method, the target as written (path and query), the headers in their
  order and case, Host included (a SigV4 signature is made for the front's address, and the server checks it against the
  Host it receives, as tests/S3Replication.FaultProxy does), the body as framed (by Content-Length, or chunked with its
  chunk lines and trailer fields; aws-chunked streaming signatures travel untouched inside either). Each goes on a fresh
  connection of its own: Ceph, having refused a PUT before reading its body, keeps the connection and makes the next
  request on it wait out its 60 s read timeout (observed).
- Expect: 100-continue is the server's to answer: the front passes on its 100 Continue (or says it itself when the
  server is silent for 1 s, the wait of curl and .NET), or its refusal before the body; after such a refusal the front
  closes the client's connection (the client may or may not send the body). A refusal in the middle of a body (Ceph
  answers as soon as the signature fails): the front stops forwarding, reads the rest and keeps the connection.
- The answer comes back as the server gave it (status, reason, headers in order, the body as framed: Content-Length,
  chunked with its chunk lines, or until the server closes), except:
  - Connection and Keep-Alive are the front's own (hop-by-hop; the server's connection ends with each answer): the
    client's connection stays open (HTTP/1.1 keep-alive, as the .NET SDK and urllib3 reuse it) unless the client asked
    to close it, the answer runs until close, or the server refused before an expected body.
  - A 200/206 GetObject or HeadObject (path style /bucket/key; query only versionId, partNumber, x-id, response-* and
    presigning parameters, any other is another operation) of a version the stand-in tracks gets
    x-amz-replication-status with the version's status: PENDING, COMPLETED or FAILED on a source version, REPLICA on a
    replica it wrote (one the server sent is replaced). The version is the request's versionId, else the answer's
    x-amz-version-id, else "null" (unversioned). A version no poll has listed yet (written since the last poll) makes
    the front poll its bucket first, so a new version is PENDING from its first read, as on S3. Versions no rule covers,
    versions that were there before the stand-in and the objects of buckets the source keys do not own get no header, as
    S3 sends it only for objects eligible for replication (and on replicas).
  - The completed value is COMPLETED, as S3 sends it, not COMPLETE. The S3 User Guide ("Getting replication status
    information") names PENDING, COMPLETED, FAILED and REPLICA; botocore's s3 model (1.43) lists COMPLETE | PENDING |
    FAILED | REPLICA | COMPLETED because COMPLETE was the model's original, wrong value and COMPLETED was added after
    users saw S3 send COMPLETED: aws/aws-sdk#242 (Java v2: HeadObject's COMPLETED was UNKNOWN_TO_SDK_VERSION), #254 (Go
    v2: "HeadObjectOutput returns COMPLETED"), brendanhay/amazonka#371 (COMPLETED from S3 failed to parse against
    COMPLETE). COMPLETE on the wire is MinIO's spelling (minio/minio#11272), not S3's.
- Path-style requests only (the loopback address has no bucket subdomains); HTTP/1.1 clients. GET /_standin/front on the
  control port lists the front's requests (method, target, status, the header it added).

Control (JSON):
  GET  /_standin/status?bucket=B[&key=K[&versionId=V]]  one version's record (the key's newest when no versionId; a
       key the stand-in never replicated answers {"ReplicationStatus": null}), or {"Objects": [...]} for the bucket
  POST /_standin/pause | /_standin/resume      stop or restart copying (new versions still become PENDING)
  POST /_standin/fail {"keys": [...]}          those keys' next versions FAIL; /_standin/unfail {"keys": [...]} ([] = all)
  POST /_standin/configuration {"bucket": B, "configuration": {...boto3 ReplicationConfiguration...} | null}
  POST /_standin/sync                          one poll-and-copy pass now (done when it answers)
  GET  /_standin/log                           what the stand-in did, in order
  GET  /_standin/front                         the S3 front's requests, in order (the last 10,000)
"""
import argparse
import collections
import http.client
import json
import select
import socket
import tempfile
import threading
import time
from datetime import timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlparse
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from loopback import listen, s3_client, serve

# Headers a replica keeps besides the body, metadata and tags (GetObject response -> PutObject request).
KEPT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                "WebsiteRedirectLocation")


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def bucket_of(arn):
    return arn.split(":::", 1)[1] if ":::" in arn else arn


class Rule:
    """One replication rule as S3 evaluates it."""

    def __init__(self, rule):
        self.id = rule.get("ID", "")
        self.enabled = rule.get("Status") == "Enabled"
        self.priority = int(rule.get("Priority") or 0)
        found = rule.get("Filter")
        self.v1 = found is None and "Prefix" in rule
        self.prefix, self.tags = rule.get("Prefix", "") or "", {}
        if found:
            if "And" in found:
                self.prefix = found["And"].get("Prefix", "") or ""
                self.tags = {tag["Key"]: tag["Value"] for tag in found["And"].get("Tags", [])}
            else:
                self.prefix = found.get("Prefix", "") or ""
                if "Tag" in found:
                    self.tags = {found["Tag"]["Key"]: found["Tag"]["Value"]}
        marker = (rule.get("DeleteMarkerReplication") or {}).get("Status")
        # A V1 rule (Prefix, no Filter) replicates delete markers; a V2 rule only with Enabled, never with tags.
        self.delete_markers = not self.tags and (marker == "Enabled" or (self.v1 and marker is None))
        destination = rule.get("Destination", {})
        self.destination = bucket_of(destination.get("Bucket", ""))
        self.storage_class = destination.get("StorageClass")

    def covers(self, key, tags):
        return self.enabled and key.startswith(self.prefix) and all(tags.get(k) == v for k, v in self.tags.items())


class Replicator:
    def __init__(self, source, destination_factory, interval):
        self.source, self.destination_factory, self.interval = source, destination_factory, interval
        self.destination = destination_factory()
        self.lock = threading.Lock()        # the state below
        self.cycle = threading.Lock()       # one poll-and-copy pass at a time
        self.seen = {}                      # bucket -> {(key, version id, last modified)}
        self.records = {}                   # (bucket, key, version id) -> record
        self.newest = {}                    # (bucket, key) -> version id of the newest record
        self.replicas = set()               # (bucket, key, version id) the stand-in wrote
        self.queue = []                     # records waiting to be copied
        self.overrides = {}                 # bucket -> configuration given at /_standin/configuration
        self.failing = set()
        self.polling = threading.Lock()     # one poll at a time (the loop's, or the S3 front's for a version it meets)
        self.known = set()                  # (bucket, key, version id) of every version a poll has listed
        self.buckets = set()                # the source account's buckets at the last poll
        self.paused = False
        self.started = False
        self.events = []
        self.front_log = collections.deque(maxlen=10000)    # the S3 front's requests, newest last

    def log(self, **event):
        event["At"] = iso_now()
        self.events.append(event)

    # --- what to replicate ----------------------------------------------------------------------------------------

    def rules(self, bucket):
        configuration = self.overrides.get(bucket)
        if configuration is None:
            try:
                configuration = self.source.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
            except ClientError:
                return []
        return [Rule(rule) for rule in configuration.get("Rules", [])]

    def versions(self, bucket):
        found = []
        for page in self.source.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in page.get("Versions", []):
                found.append((item, False))
            for item in page.get("DeleteMarkers", []):
                found.append((item, True))
        return found

    def deciding_rules(self, rules, bucket, key, version, marker):
        """Per destination bucket, the highest-priority enabled rule that covers the version."""
        tags = {}
        if not marker and any(rule.tags for rule in rules if rule.enabled):
            try:
                tags = {t["Key"]: t["Value"] for t in self.source.get_object_tagging(Bucket=bucket, Key=key, VersionId=version)["TagSet"]}
            except ClientError:
                tags = {}
        chosen = {}
        for rule in rules:
            if rule.covers(key, tags) and (rule.destination not in chosen or rule.priority > chosen[rule.destination].priority):
                chosen[rule.destination] = rule
        return list(chosen.values())

    def poll(self):
        first = not self.started
        self.started = True
        self.buckets = {b["Name"] for b in self.source.list_buckets().get("Buckets", [])}
        for bucket in sorted(self.buckets):
            self.poll_bucket(bucket, first)

    def poll_bucket(self, bucket, first=False):
        try:
            listing = self.versions(bucket)
        except ClientError:
            return
        known = self.seen.get(bucket)
        baseline = known is None and first
        known = self.seen.setdefault(bucket, set())
        fresh, listed = [], []
        for item, marker in listing:
            identity = (item["Key"], item.get("VersionId", "null"), iso(item["LastModified"]))
            if identity in known:
                continue
            known.add(identity)
            listed.append((bucket, identity[0], identity[1]))
            if not baseline and (bucket, item["Key"], identity[1]) not in self.replicas:
                fresh.append((item, marker))
        try:
            if fresh:
                rules = self.rules(bucket)
                # Oldest first, so that the destination's newest version is the source's newest.
                for item, marker in sorted(fresh, key=lambda pair: pair[0]["LastModified"]):
                    self.consider(bucket, item, marker, rules)
        finally:
            # Listed only once considered: until then the S3 front, finding no record, polls (and waits for this one).
            with self.lock:
                self.known.update(listed)

    def detect(self, bucket):
        """A poll of one bucket now (the S3 front met a version no poll has listed yet)."""
        with self.polling:
            if bucket not in self.buckets:
                self.buckets = {b["Name"] for b in self.source.list_buckets().get("Buckets", [])}
                if bucket not in self.buckets:
                    return          # not the source account's: nothing there is replicated by the stand-in
            self.poll_bucket(bucket)

    def consider(self, bucket, item, marker, rules):
        key, version = item["Key"], item.get("VersionId", "null")
        chosen = self.deciding_rules(rules, bucket, key, version, marker)
        if marker:
            chosen = [rule for rule in chosen if rule.delete_markers]
        if not chosen:
            return
        record = {
            "Bucket": bucket, "Key": key, "VersionId": version, "IsDeleteMarker": marker,
            "SourceLastModified": iso(item["LastModified"]), "ReplicationStatus": "PENDING", "Detected": iso_now(),
            "Destinations": [{"Bucket": rule.destination, "RuleId": rule.id, "Status": "PENDING", "ReplicaVersionId": None,
                              "StorageClass": rule.storage_class, "StorageClassApplied": rule.storage_class in (None, "STANDARD"),
                              "Error": None} for rule in chosen],
        }
        with self.lock:
            self.records[(bucket, key, version)] = record
            self.newest[(bucket, key)] = version
            self.queue.append(record)
        self.log(Event="Pending", Bucket=bucket, Key=key, VersionId=version)

    # --- copying ------------------------------------------------------------------------------------------------------

    def copy(self, record):
        bucket, key, version = record["Bucket"], record["Key"], record["VersionId"]
        for destination in record["Destinations"]:
            try:
                if key in self.failing:
                    raise ClientError({"Error": {"Code": "StandInFailure", "Message": "The key is set to fail at /_standin/fail"},
                                       "ResponseMetadata": {"HTTPStatusCode": 503}}, "ReplicateObject")
                if record["IsDeleteMarker"]:
                    written = self.destination.delete_object(Bucket=destination["Bucket"], Key=key)
                else:
                    written = self.put_replica(bucket, key, version, destination["Bucket"])
                replica = written.get("VersionId", "null")
                with self.lock:
                    self.replicas.add((destination["Bucket"], key, replica))
                    self.records[(destination["Bucket"], key, replica)] = {
                        "Bucket": destination["Bucket"], "Key": key, "VersionId": replica, "IsDeleteMarker": record["IsDeleteMarker"],
                        "ReplicationStatus": "REPLICA", "SourceBucket": bucket, "SourceVersionId": version,
                        "SourceLastModified": record["SourceLastModified"]}
                    self.newest[(destination["Bucket"], key)] = replica
                destination.update(Status="COMPLETED", ReplicaVersionId=replica)
            except ClientError as error:
                destination.update(Status="FAILED", Error=error.response["Error"].get("Code"))
                # Ceph answers a refused PUT before reading its body and keeps the connection: the next request on it
                # waits out the read timeout (60 s, observed). Start over with fresh connections.
                self.destination = self.destination_factory()
        statuses = {d["Status"] for d in record["Destinations"]}
        with self.lock:
            record["ReplicationStatus"] = "FAILED" if "FAILED" in statuses else "COMPLETED"
            record["Completed"] = iso_now()
        self.log(Event=record["ReplicationStatus"].capitalize(), Bucket=bucket, Key=key, VersionId=version,
                 Destinations=[d["Bucket"] for d in record["Destinations"]])

    def put_replica(self, bucket, key, version, target):
        source = self.source.get_object(Bucket=bucket, Key=key, **({} if version == "null" else {"VersionId": version}))
        tags = self.source.get_object_tagging(Bucket=bucket, Key=key, **({} if version == "null" else {"VersionId": version}))["TagSet"]
        arguments = {name: source[name] for name in KEPT_HEADERS if source.get(name)}
        if tags:
            arguments["Tagging"] = "&".join(f"{quote(t['Key'], safe='')}={quote(t['Value'], safe='')}" for t in tags)
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as body:
            for chunk in source["Body"].iter_chunks(1024 * 1024):
                body.write(chunk)
            body.seek(0)
            return self.destination.put_object(Bucket=target, Key=key, Body=body, Metadata=source.get("Metadata", {}), **arguments)

    def run_cycle(self):
        with self.cycle:
            with self.polling:
                self.poll()
            copied = 0
            while not self.paused:
                with self.lock:
                    if not self.queue:
                        break
                    record = self.queue.pop(0)
                self.copy(record)
                copied += 1
            with self.lock:
                return {"Copied": copied, "Pending": len(self.queue), "Paused": self.paused}

    def loop(self):
        while True:
            try:
                self.run_cycle()
            except Exception as error:  # the server may be restarting; keep polling
                self.log(Event="Error", Message=str(error))
            time.sleep(self.interval)

    # --- control ------------------------------------------------------------------------------------------------------

    def status(self, bucket, key, version):
        with self.lock:
            if key is None:
                return {"Objects": [r for (b, _, _), r in self.records.items() if b == bucket]}
            version = version or self.newest.get((bucket, key))
            record = self.records.get((bucket, key, version))
            return record if record else {"Bucket": bucket, "Key": key, "VersionId": version, "ReplicationStatus": None}

    def header_status(self, bucket, key, version):
        """The x-amz-replication-status of one version for the S3 front, None for a version no rule covers."""
        with self.lock:
            record = self.records.get((bucket, key, version))
            listed = (bucket, key, version) in self.known
        if record is None and not listed:
            # Written since the last poll: S3 says PENDING from the write on, so look now rather than answer without.
            try:
                self.detect(bucket)
            except Exception as error:  # the server may be restarting; answer without the header
                self.log(Event="Error", Message=f"detecting {bucket}/{key}: {error}")
            with self.lock:
                record = self.records.get((bucket, key, version))
        return record["ReplicationStatus"] if record else None


def iso_now():
    # One reading of the clock: seconds and milliseconds from two readings could straddle a second and be 1 s early.
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (int(now * 1000) % 1000)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replicator: Replicator = None

    def log_message(self, *args):
        pass

    def reply(self, status, value):
        data = json.dumps(value, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/_standin/status" and "bucket" in query:
            return self.reply(200, self.replicator.status(query["bucket"], query.get("key"), query.get("versionId")))
        if url.path == "/_standin/log":
            with self.replicator.lock:
                return self.reply(200, list(self.replicator.events))
        if url.path == "/_standin/front":
            return self.reply(200, list(self.replicator.front_log))
        self.reply(404, {"Error": "no such control path", "Path": url.path})

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        r = self.replicator
        if url.path in ("/_standin/pause", "/_standin/resume"):
            r.paused = url.path.endswith("pause")
            r.log(Event="Paused" if r.paused else "Resumed")
            return self.reply(200, {"Paused": r.paused})
        if url.path == "/_standin/fail":
            with r.lock:
                r.failing.update(body.get("keys", []))
                return self.reply(200, {"Failing": sorted(r.failing)})
        if url.path == "/_standin/unfail":
            with r.lock:
                keys = body.get("keys", [])
                r.failing = r.failing - set(keys) if keys else set()
                return self.reply(200, {"Failing": sorted(r.failing)})
        if url.path == "/_standin/configuration":
            with r.cycle, r.polling:
                if body.get("configuration") is None:
                    r.overrides.pop(body["bucket"], None)
                else:
                    r.overrides[body["bucket"]] = body["configuration"]
            return self.reply(200, {"Buckets": sorted(r.overrides)})
        if url.path == "/_standin/sync":
            return self.reply(200, r.run_cycle())
        self.reply(404, {"Error": "no such control path", "Path": url.path})


# --- the S3 front ---------------------------------------------------------------------------------------------------

# The query parameters a GetObject or HeadObject may carry; any other (acl, tagging, uploadId, attributes, ...) makes
# the request another operation, whose answer S3 gives no x-amz-replication-status.
OBJECT_QUERY = {"versionId", "partNumber", "x-id", "response-cache-control", "response-content-disposition",
                "response-content-encoding", "response-content-language", "response-content-type", "response-expires",
                "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                "X-Amz-Signature", "X-Amz-Security-Token", "AWSAccessKeyId", "Expires", "Signature"}
EXPECT_WAIT = 1.0           # how long the front waits for the server's 100 Continue (curl's and .NET's default wait)
UPSTREAM_TIMEOUT = 300
PIECE = 1024 * 1024


class ClientGone(Exception):
    """The client's connection ended in the middle of its request body."""


def object_of(target):
    """(bucket, key, versionId or None) when a request target names an object GetObject/HeadObject may read."""
    path, _, query = target.partition("?")
    bucket, slash, key = path[1:].partition("/")
    if not path.startswith("/") or not bucket or not slash or not key:
        return None
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name not in OBJECT_QUERY for name, _ in pairs):
        return None
    return unquote(bucket), unquote(key), dict(pairs).get("versionId") or None


class Front(BaseHTTPRequestHandler):
    """
    S3 on a second loopback port: each request goes to the server on a connection of its own, as it came (method,
    target, headers in order with Host, body as framed), and its answer comes back as the server gave it, with
    x-amz-replication-status added to a 200/206 GetObject/HeadObject of a version the stand-in tracks.
    """
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 600               # an idle keep-alive connection is closed after this
    upstream = ("127.0.0.1", 0)
    replicator: Replicator = None

    def log_message(self, *args):
        pass

    def handle_expect_100(self):
        # Not answered here: the server says 100 Continue or refuses, and the front passes on what it says.
        return True

    def do_GET(self):
        self.forward()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    # --- the request --------------------------------------------------------------------------------------------------

    def forward(self):
        self._answering = False
        # The target as the client wrote it (BaseHTTPRequestHandler reduces a leading '//' in self.path).
        self.target = target = self.raw_requestline.decode("iso-8859-1").split()[1]
        codings = ",".join(self.headers.get_all("Transfer-Encoding") or []).split(",")
        encoding = [part.strip().lower() for part in codings if part.strip()]
        chunked = bool(encoding) and encoding[-1] == "chunked"
        length = 0
        if not chunked:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length < 0:
                    raise ValueError(length)
            except ValueError:
                return self.fail(400, "InvalidArgument", "The Content-Length is not a number.")
        has_body = chunked or length > 0
        expecting = (has_body and self.request_version >= "HTTP/1.1"
                     and self.headers.get("Expect", "").strip().lower() == "100-continue")
        upstream = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            try:
                upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders()
            except OSError as error:
                return self.fail(502, "BadGateway", f"The S3 server did not take the request: {error}")
            sock = upstream.sock
            continued = not expecting       # whether the client was told to send its body
            early = False
            if has_body:
                if expecting:
                    answered = wait_readable(sock, EXPECT_WAIT)
                    if not answered or take_continue(sock):
                        self.send_response_only(100)
                        self.end_headers()
                        continued = True
                    else:
                        early = True        # refused before the body: the client may not send it at all
                if continued:
                    try:
                        # All of the body is read, also when the server answers in its middle (then not forwarded):
                        # the connection can carry the next request.
                        early = not self.relay_body(sock, chunked, length)
                    except ClientGone:
                        self.close_connection = True
                        return
            response = upstream.getresponse()
            self.answer(response, close=early and not continued)
        except (OSError, http.client.HTTPException) as error:
            if not self._answering:
                self.fail(502, "BadGateway", f"The S3 server did not answer: {error}")
            else:
                self.close_connection = True    # the answer was cut off: the client sees a broken response
        finally:
            upstream.close()

    def relay_body(self, sock, chunked, length):
        """Reads the request body and sends it to the server as framed; False when the server answered before it had
        all of it (the rest is read, not sent)."""
        sending = True

        def send(data):
            nonlocal sending
            if sending and not send_upstream(sock, data):
                sending = False

        if chunked:
            while True:
                line = self.rfile.readline(65537)
                if not line.endswith(b"\n"):
                    raise ClientGone()
                send(line)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:     # trailer fields, then the empty line
                        line = self.rfile.readline(65537)
                        if not line.endswith(b"\n"):
                            raise ClientGone()
                        send(line)
                        if line in (b"\r\n", b"\n"):
                            return sending
                self.pass_on(size + 2, send)     # the data and its CRLF
        self.pass_on(length, send)
        return sending

    def pass_on(self, count, send):
        """Reads exactly count bytes of the client's body and sends them on, piece by piece."""
        while count:
            piece = self.rfile.read(min(PIECE, count))
            if not piece:
                raise ClientGone()
            count -= len(piece)
            send(piece)

    # --- the answer ---------------------------------------------------------------------------------------------------

    def answer(self, response, close):
        self._answering = True
        headers = [(name, value) for name, value in response.msg.items()]
        status = self.replication_status(response)
        self.replicator.front_log.append({"Method": self.command, "Target": self.target, "Status": response.status,
                                          "ReplicationStatus": status, "At": iso_now()})
        if status:
            headers = [(n, v) for n, v in headers if n.lower() != "x-amz-replication-status"]
            headers.append(("x-amz-replication-status", status))
        bodiless = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        until_close = not bodiless and not response.chunked and response.length is None
        close = close or until_close or self.close_connection
        self.send_response_only(response.status, response.reason)
        for name, value in headers:
            # Connection and Keep-Alive speak of the server's connection to the front, which ends with this answer.
            if name.lower() not in ("connection", "keep-alive"):
                self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if bodiless:
            pass
        elif response.chunked:
            self.relay_chunked(response.fp)
        else:
            left = response.length
            while left is None or left:
                piece = response.fp.read(PIECE if left is None else min(PIECE, left))
                if not piece:
                    if left:
                        close = True    # cut off by the server: so is the answer
                    break
                self.wfile.write(piece)
                if left is not None:
                    left -= len(piece)
        self.close_connection = close

    def relay_chunked(self, source):
        """A chunked body as the server framed it (size lines, data, trailer fields)."""
        while True:
            line = source.readline(65537)
            if not line.endswith(b"\n"):
                raise http.client.IncompleteRead(line)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.wfile.write(line)
                while True:
                    line = source.readline(65537)
                    if not line.endswith(b"\n"):
                        raise http.client.IncompleteRead(line)
                    self.wfile.write(line)
                    if line in (b"\r\n", b"\n"):
                        return
            self.wfile.write(line)
            left = size + 2
            while left:
                piece = source.read(min(PIECE, left))
                if not piece:
                    raise http.client.IncompleteRead(piece)
                left -= len(piece)
                self.wfile.write(piece)

    def replication_status(self, response):
        if self.command not in ("GET", "HEAD") or response.status not in (200, 206):
            return None
        found = object_of(self.target)
        if not found:
            return None
        bucket, key, version = found
        version = version or response.getheader("x-amz-version-id") or "null"
        return self.replicator.header_status(bucket, key, version)

    def fail(self, code, error, message):
        data = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{error}</Code><Message>{escape(message)}</Message>'
                f'</Error>').encode()
        self.close_connection = True
        try:
            self.send_response_only(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:
            pass    # the client is gone


def wait_readable(sock, seconds):
    """Whether the server has written (or closed) within the time (poll, not select: no limit on descriptor numbers)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(seconds * 1000))


def take_continue(sock):
    """Reads an interim 100 Continue the server sent (True), or leaves a final answer unread (False)."""
    deadline = time.monotonic() + UPSTREAM_TIMEOUT
    while True:
        seen = sock.recv(4096, socket.MSG_PEEK)
        if not seen:
            return False
        if len(seen) >= 12 and not (seen.startswith(b"HTTP/1.") and seen[9:12] == b"100"):
            return False
        end = seen.find(b"\r\n\r\n")
        if end >= 0:
            take = end + 4
            while take:
                take -= len(sock.recv(take))
            return True
        if time.monotonic() > deadline:
            raise TimeoutError("an incomplete interim answer from the server")
        time.sleep(0.01)        # the rest of it is on its way


def send_upstream(sock, data):
    """Sends data to the server, False (and stops) as soon as the server has answered or closed instead of reading."""
    view = memoryview(data)
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLOUT)
    while view:
        events = 0
        for _, happened in poller.poll(UPSTREAM_TIMEOUT * 1000):
            events |= happened
        if events & (select.POLLIN | select.POLLHUP | select.POLLERR):
            if take_continue(sock):     # a late 100 Continue: keep sending
                continue
            return False
        if not events & select.POLLOUT:
            raise TimeoutError("the S3 server stopped reading the request body")
        view = view[sock.send(view):]
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--s3-endpoint", required=True)
    parser.add_argument("--access-key", required=True, help="the source account's keys: they list, read and watch")
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--destination-access-key", help="keys that write the replicas (default: the source's)")
    parser.add_argument("--destination-secret-key")
    parser.add_argument("--interval-ms", type=int, default=300, help="time between two polls")
    parser.add_argument("--paused", action="store_true", help="start paused (POST /_standin/resume to copy)")
    parser.add_argument("--front-port-file", help="serve S3 on a second loopback port too (the S3 front), written here")
    args = parser.parse_args()
    source = s3_client(args.s3_endpoint, args.access_key, args.secret_key)
    replicator = Replicator(source, lambda: s3_client(args.s3_endpoint, args.destination_access_key or args.access_key,
                                                   args.destination_secret_key or args.secret_key), args.interval_ms / 1000)
    replicator.paused = args.paused
    # The first pass marks what is there already (not replicated) before the port is announced.
    replicator.run_cycle()
    threading.Thread(target=replicator.loop, daemon=True).start()
    Handler.replicator = replicator
    if args.front_port_file:
        endpoint = urlparse(args.s3_endpoint)
        Front.upstream, Front.replicator = (endpoint.hostname, endpoint.port or 80), replicator
        # Written before the control port: a caller that has the control port has the front too.
        threading.Thread(target=listen(Front, args.front_port_file, backlog=128).serve_forever, daemon=True).start()
    serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
