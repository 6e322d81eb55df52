#!/usr/bin/env python3
"""
Self-test of replication.py against a fresh local Ceph server with boto3: what a replica keeps (body, metadata, content
type, tags), filters (prefix, tags), priority among rules to one destination, several destinations, delete markers with
and without DeleteMarkerReplication (and version deletes, never replicated), objects that predate the stand-in, replicas
not replicated again, PENDING while paused, FAILED on demand, the background poll's delay (a canary's wait), a
destination owned by another user, storage classes Ceph refuses, and Start-ReplicationStandIn in StandIns.psm1.

  python3 tests/standins/replication_selftest.py [--server-json PATH] [--check NAME ...]

Ends with one line: N passed, N failed.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from urllib.parse import urlencode

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from selftest_server import Checks, LocalS3, StandIn, pwsh, HERE  # noqa: E402

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
    out = pwsh(f"""$ErrorActionPreference = 'Stop'; Import-Module '{module}'
        $r = Start-ReplicationStandIn -S3Endpoint '{ctx.server.endpoint}' -AccessKey '{ctx.server.access_key}' `
            -SecretKey '{ctx.server.secret_key}' -DestinationAccessKey '{ctx.backup_keys[0]}' `
            -DestinationSecretKey '{ctx.backup_keys[1]}' -Paused -Folder '{ctx.folder}/module'
        try {{
            $state = Invoke-RestMethod -Method Post -Uri "$($r.Endpoint)/_standin/sync" -NoProxy
            $record = Invoke-RestMethod -Uri "$($r.Endpoint)/_standin/status?bucket=src&key=nothing" -NoProxy
            @{{ Paused = $state.Paused; Status = $record.ReplicationStatus }} | ConvertTo-Json -Compress
        }} finally {{ Stop-StandIn $r }}""")
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"Paused": True, "Status": None}, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-json", help="use this running server (its server.json) instead of starting one")
    parser.add_argument("--check", nargs="*", help="run only these checks")
    args = parser.parse_args()

    class Context:
        pass

    ctx = Context()
    ctx.folder = tempfile.mkdtemp(prefix="replication-selftest-")
    ctx.server = LocalS3(args.server_json)
    ctx.standin = None
    try:
        ctx.s3 = ctx.server.client()
        suffix = str(int(time.time()))[-6:]
        ctx.backup_keys = ctx.server.user("backup" + suffix)
        ctx.backup = ctx.server.client(*ctx.backup_keys)
        bucket(ctx, "src")
        bucket(ctx, "dst", ctx.backup)
        bucket(ctx, "dst2", ctx.backup)
        ctx.s3.put_object(Bucket="src", Key="old", Body=b"before the stand-in")
        configure(ctx, "src", rule("all", "dst"), tell_standin=False)
        ctx.standin = StandIn(ctx.folder, "replication.py", "--s3-endpoint", ctx.server.endpoint,
                              "--access-key", ctx.server.access_key, "--secret-key", ctx.server.secret_key,
                              "--destination-access-key", ctx.backup_keys[0], "--destination-secret-key", ctx.backup_keys[1])
        configure(ctx, "src", rule("all", "dst"))
        return check.run(ctx, args.check)
    finally:
        if ctx.standin:
            ctx.standin.stop()
        ctx.server.stop()


if __name__ == "__main__":
    sys.exit(main())
