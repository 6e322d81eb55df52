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
  replica) is served at the control endpoint, not in HeadObject.
- A replica on S3 has the source's version id and creation time (last-modified); on Ceph the PUT gets a new version id
  and the time of the copy. The record names both: ReplicaVersionId beside VersionId, SourceLastModified.
- Ceph drops DeleteMarkerReplication (and keeps neither a V1 rule's Prefix nor an empty Filter): a rule read from the
  server counts as DeleteMarkerReplication Disabled. POST /_standin/configuration gives the stand-in the configuration
  as it was PUT, to use instead of the server's.
- Ceph refuses storage classes other than STANDARD in a PUT: a rule's Destination.StorageClass is recorded
  (StorageClass, StorageClassApplied false) and the replica is written as STANDARD.
- Not modelled: SSE-KMS SourceSelectionCriteria, ReplicaModifications, Replication Time Control, metrics, the rule's
  Role and Account/AccessControlTranslation (the stand-in writes with the keys it was given), object lock.

Control (JSON):
  GET  /_standin/status?bucket=B[&key=K[&versionId=V]]  one version's record (the key's newest when no versionId; a
       key the stand-in never replicated answers {"ReplicationStatus": null}), or {"Objects": [...]} for the bucket
  POST /_standin/pause | /_standin/resume      stop or restart copying (new versions still become PENDING)
  POST /_standin/fail {"keys": [...]}          those keys' next versions FAIL; /_standin/unfail {"keys": [...]} ([] = all)
  POST /_standin/configuration {"bucket": B, "configuration": {...boto3 ReplicationConfiguration...} | null}
  POST /_standin/sync                          one poll-and-copy pass now (done when it answers)
  GET  /_standin/log                           what the stand-in did, in order
"""
import argparse
import json
import tempfile
import threading
import time
from datetime import timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from loopback import serve

# Headers a replica keeps besides the body, metadata and tags (GetObject response -> PutObject request).
KEPT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                "WebsiteRedirectLocation")


def client(endpoint, access_key, secret_key):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"))


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
        self.paused = False
        self.started = False
        self.events = []

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
        for bucket in [b["Name"] for b in self.source.list_buckets().get("Buckets", [])]:
            try:
                listing = self.versions(bucket)
            except ClientError:
                continue
            known = self.seen.get(bucket)
            baseline = known is None and first
            known = self.seen.setdefault(bucket, set())
            fresh = []
            for item, marker in listing:
                identity = (item["Key"], item.get("VersionId", "null"), iso(item["LastModified"]))
                if identity in known:
                    continue
                known.add(identity)
                if not baseline and (bucket, item["Key"], identity[1]) not in self.replicas:
                    fresh.append((item, marker))
            if not fresh:
                continue
            rules = self.rules(bucket)
            # Oldest first, so that the destination's newest version is the source's newest.
            for item, marker in sorted(fresh, key=lambda pair: pair[0]["LastModified"]):
                self.consider(bucket, item, marker, rules)

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


def iso_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%03dZ" % (int(time.time() * 1000) % 1000)


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
            with r.cycle:
                if body.get("configuration") is None:
                    r.overrides.pop(body["bucket"], None)
                else:
                    r.overrides[body["bucket"]] = body["configuration"]
            return self.reply(200, {"Buckets": sorted(r.overrides)})
        if url.path == "/_standin/sync":
            return self.reply(200, r.run_cycle())
        self.reply(404, {"Error": "no such control path", "Path": url.path})


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
    args = parser.parse_args()
    source = client(args.s3_endpoint, args.access_key, args.secret_key)
    replicator = Replicator(source, lambda: client(args.s3_endpoint, args.destination_access_key or args.access_key,
                                                   args.destination_secret_key or args.secret_key), args.interval_ms / 1000)
    replicator.paused = args.paused
    # The first pass marks what is there already (not replicated) before the port is announced.
    replicator.run_cycle()
    threading.Thread(target=replicator.loop, daemon=True).start()
    Handler.replicator = replicator
    serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
