#!/usr/bin/env python3
"""
Self-test of listing.py against real S3 clients: boto3 (ListObjectsV2, ListObjects and ListObjectVersions paginators with
and without delimiter, prefix, start-after, encoding-type url, HEAD/GET, presigned URLs, virtual-host addressing), the
aws CLI (`aws s3 ls --recursive`, `aws s3 sync --dryrun`, each aws found) and rclone (`lsf -R`, `check`, with ListObjects
and ListObjectsV2, directory by directory and --fast-list), where installed. Every listing is compared with the one the
other clients see and every difference with GET /_standin/expected.

  python3 tests/standins/listing_selftest.py [--keep]      (no pytest; exits 1 when a check fails)

Ends with one line: N passed, N failed.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import unquote_plus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
ACCESS_KEY, SECRET_KEY = "AKIDLISTINGSELFTEST", "listing-selftest-secret"
SIGNED = {"Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261205/us-east-1/s3/aws4_request, "
                           "SignedHeaders=host, Signature=0000"}
DIFFERENCES = 40
# Three families: an unversioned pair, a versioned pair, a flat pair (the second of each differs from the first).
BUCKETS = ["backup=5000", "source=5000", "vbackup=3000,versioned", "vsource=3000,versioned", "flat=2000,flat", "flatsrc=2000,flat"]
PAIRS = [("backup", "source"), ("vbackup", "vsource"), ("flat", "flatsrc")]

checks = []
passed = failed = 0


def check(function):
    checks.append(function)
    return function


class Server:
    def __init__(self, folder, *arguments, log=True):
        self.folder = folder
        port_file = os.path.join(folder, "listing.port")
        self.log = os.path.join(folder, "listing.log") if log else None
        if os.path.exists(port_file):
            os.remove(port_file)
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "listing.py"), "--port-file", port_file,
                                         *(["--log", self.log] if log else []), *arguments],
                                        stdout=open(os.path.join(folder, "listing.out"), "w"),
                                        stderr=open(os.path.join(folder, "listing.err"), "w"))
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError("listing.py did not start: " + open(os.path.join(folder, "listing.err")).read())
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def control(self, method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=json.dumps(body) if body is not None else None)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        assert response.status == 200, (path, response.status, data[:300])
        return json.loads(data)

    def raw(self, path, headers=SIGNED, method="GET", host=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), data


def s3_client(endpoint, style="path"):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1},
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"))


def utf8_sorted(keys):
    """Keys (or tuples that start with a key) in UTF-8 binary order."""
    return sorted(keys, key=lambda k: (k if isinstance(k, str) else k[0]).encode("utf-8"))


def entries(pages, *fields):
    return [item for page in pages for field in fields for item in page.get(field, [])]


def list_v2(s3, bucket, page_size=1000, **params):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": page_size}, **params)
    pages = list(pages)
    return [(o["Key"], o["Size"], o["ETag"], o["LastModified"]) for o in entries(pages, "Contents")], \
        [p["Prefix"] for p in entries(pages, "CommonPrefixes")], pages


def keys_of(listing):
    return [entry[0] for entry in listing]


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response
    raise AssertionError("no error")


def differences(backup, source):
    """MissingInBackup, MissingInSource, Different as computed from two listings."""
    b = {k: (s, e) for k, s, e, _ in backup}
    s = {k: (size, e) for k, size, e, _ in source}
    return (utf8_sorted(set(s) - set(b)), utf8_sorted(set(b) - set(s)),
            utf8_sorted(k for k in set(b) & set(s) if b[k] != s[k]))


# --- the checks -------------------------------------------------------------------------------------------------------

@check
def order_count_and_uniqueness(ctx):
    for bucket in ctx.counts:
        listing, _, _ = list_v2(ctx.s3, bucket)
        keys = keys_of(listing)
        assert len(keys) == ctx.counts[bucket], (bucket, len(keys), ctx.counts[bucket])
        assert len(set(keys)) == len(keys), bucket
        assert keys == utf8_sorted(keys), f"{bucket} is not in UTF-8 binary order"
        ctx.listings[bucket] = listing
    keys = keys_of(ctx.listings["backup"])
    # U+FB01 sorts before U+1F600 in UTF-8 (and after it in UTF-16): the listing must follow UTF-8.
    assert keys.index("odd/\ufb01le-ligature.txt") < keys.index("odd/\U0001F600-emoji.txt")
    tops = {}
    for k in keys:
        top = k.split("/")[0] + "/" if "/" in k else k
        tops[top] = tops.get(top, 0) + 1
    assert 0.85 < tops["imap/"] / len(keys) < 0.95, tops
    assert keys_of(ctx.listings["flat"])[:2] == ["data/obj-0000000", "data/obj-0000001"], keys_of(ctx.listings["flat"])[:2]


@check
def v2_small_pages_equal_big_pages(ctx):
    for bucket, size in (("backup", 7), ("vsource", 333), ("flat", 1)):
        if bucket == "flat":
            listing, _, pages = list_v2(ctx.s3, bucket, size, Prefix="data/obj-00001")
            assert listing == [e for e in ctx.listings[bucket] if e[0].startswith("data/obj-00001")]
            assert all(p["KeyCount"] <= 1 for p in pages) and len(pages) == len(listing)
            continue
        listing, _, pages = list_v2(ctx.s3, bucket, size)
        assert listing == ctx.listings[bucket], bucket
        assert all(p["KeyCount"] <= size and p["MaxKeys"] == size for p in pages)
        assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
        token = pages[0]["NextContinuationToken"]
        assert token not in keys_of(listing) and "imap" not in token, f"the continuation token is not opaque: {token}"


@check
def v1_equals_v2(ctx):
    for bucket in ("backup", "vsource", "flat"):
        for size in (1000, 13):
            pages = list(ctx.s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": size}))
            listing = [(o["Key"], o["Size"], o["ETag"], o["LastModified"]) for o in entries(pages, "Contents")]
            assert listing == ctx.listings[bucket], (bucket, size)
            assert all("Owner" in o for o in entries(pages, "Contents"))
            assert all("NextMarker" not in p for p in pages), "NextMarker without a delimiter"


def walk(s3, bucket, prefix, operation, page_size):
    """Every key under prefix, found directory by directory (delimiter /)."""
    found, prefixes = [], []
    pages = s3.get_paginator(operation).paginate(Bucket=bucket, Prefix=prefix, Delimiter="/", PaginationConfig={"PageSize": page_size})
    for page in pages:
        found += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page.get("Delimiter") == "/"
    assert len(set(prefixes)) == len(prefixes), f"a common prefix came twice under {prefix!r}"
    for p in prefixes:
        assert p.startswith(prefix) and p.endswith("/") and "/" not in p[len(prefix):-1], p
        found += walk(s3, bucket, p, operation, page_size)
    return found


@check
def delimiter_walk_finds_every_key(ctx):
    for bucket, operation, size in (("backup", "list_objects_v2", 1000), ("vsource", "list_objects", 1000), ("backup", "list_objects_v2", 2)):
        keys = walk(ctx.s3, bucket, "" if size == 1000 else "odd/", operation, size)
        want = [k for k in keys_of(ctx.listings[bucket]) if size == 1000 or k.startswith("odd/")]
        assert sorted(keys) == sorted(want), (bucket, operation, size, len(keys), len(want))


@check
def common_prefixes_paginate(ctx):
    everything, _, _ = list_v2(ctx.s3, "backup", Delimiter="/")
    tops = [p for p in list_v2(ctx.s3, "backup", 1000, Delimiter="/")[1]]
    assert tops == ["config/", "imap/", "logs/", "manifests/", "odd/", "quicklook/", "spice/"], tops
    assert keys_of(everything) == ["README.md", "index.html"]
    page = ctx.s3.list_object_versions(Bucket="vbackup", Delimiter="/")
    version_tops = [p["Prefix"] for p in page["CommonPrefixes"]]
    version_top_keys = [v["Key"] for v in page["Versions"]]
    assert version_tops == tops and version_top_keys[:1] == ["README.md"], (version_tops, version_top_keys)
    for size in (1, 2, 3):
        listing, prefixes, pages = list_v2(ctx.s3, "backup", size, Delimiter="/")
        assert prefixes == tops and keys_of(listing) == ["README.md", "index.html"], (size, prefixes)
        assert all(p["KeyCount"] == len(p.get("Contents", [])) + len(p.get("CommonPrefixes", [])) <= size for p in pages)
        v1 = list(ctx.s3.get_paginator("list_objects").paginate(Bucket="backup", Delimiter="/", PaginationConfig={"PageSize": size}))
        assert [p["Prefix"] for p in entries(v1, "CommonPrefixes")] == tops, size
        assert all(p.get("NextMarker") for p in v1[:-1]), "NextMarker is missing with a delimiter"
        versions = list(ctx.s3.get_paginator("list_object_versions").paginate(Bucket="vbackup", Delimiter="/", PaginationConfig={"PageSize": size}))
        assert [p["Prefix"] for p in entries(versions, "CommonPrefixes")] == version_tops, size
        assert [v["Key"] for v in entries(versions, "Versions")] == version_top_keys, size


@check
def prefixes_and_start_after(ctx):
    keys = keys_of(ctx.listings["backup"])
    for prefix in ("imap/mag/", "imap/mag/l1a/2025/03/", "odd/", "odd/caf\u00e9/", "odd/a b/", "logs", "zzz", "odd/\U0001F600", "i"):
        listing, _, _ = list_v2(ctx.s3, "backup", 1000, Prefix=prefix)
        assert keys_of(listing) == [k for k in keys if k.startswith(prefix)], prefix
    middle = keys[len(keys) // 2]
    for after in ("", keys[0], middle, middle + "\x00", middle[:-3], "odd/\ufb01", "odd/a b", "\U0010FFFF", keys[-1], "imap/mag/"):
        for prefix in ("", "imap/"):
            params = {"StartAfter": after} if after else {}
            listing, _, _ = list_v2(ctx.s3, "backup", 500, Prefix=prefix, **params)
            want = [k for k in keys if k.encode() > after.encode() and k.startswith(prefix)]
            assert keys_of(listing) == want, (after, prefix, len(listing), len(want))
    # V1 marker, and a start-after inside a rolled-up prefix.
    pages = list(ctx.s3.get_paginator("list_objects").paginate(Bucket="backup", Marker=middle))
    assert [o["Key"] for o in entries(pages, "Contents")] == [k for k in keys if k > middle]
    listing, prefixes, _ = list_v2(ctx.s3, "backup", 1000, Delimiter="/", StartAfter="logs/zzz")
    assert prefixes == ["manifests/", "odd/", "quicklook/", "spice/"], prefixes


@check
def encoding_type_url_and_raw_xml(ctx):
    odd = [k for k in keys_of(ctx.listings["backup"]) if k.startswith("odd/") or "/" not in k]
    # Raw, without encoding-type: XML-escaped keys.
    status, _, body = ctx.server.raw("/backup?list-type=2&prefix=odd/")
    assert status == 200
    root = ET.fromstring(body)
    assert [e.text for e in root.iter(NS + "Key")] == [k for k in odd if k.startswith("odd/")]
    assert root.find(NS + "EncodingType") is None
    # Asked for explicitly, botocore leaves the answer as it came: percent-encoded, '/' left as is.
    pages = list(ctx.s3.get_paginator("list_objects_v2").paginate(Bucket="backup", Prefix="odd/", EncodingType="url"))
    raw = [o["Key"] for o in entries(pages, "Contents")]
    assert "odd/a%20b/c%20d.txt" in raw and "odd/plus%2Bsign.txt" in raw and "odd/percent%2520literal.txt" in raw, raw
    assert [unquote_plus(k) for k in raw] == [k for k in odd if k.startswith("odd/")]
    assert all(p["EncodingType"] == "url" for p in pages)
    # The echoed prefix, delimiter and start-after are encoded too.
    status, _, body = ctx.server.raw("/backup?list-type=2&encoding-type=url&delimiter=%2F&prefix=odd%2Fa%20b%2F&start-after=odd%2Fa%20b%2Fa%2Bb")
    root = ET.fromstring(body)
    assert root.findtext(NS + "Prefix") == "odd/a%20b/" and root.findtext(NS + "StartAfter") == "odd/a%20b/a%2Bb", body
    assert root.findtext(NS + "Delimiter") == "/" and root.findtext(NS + "EncodingType") == "url"
    status, _, body = ctx.server.raw("/backup?list-type=2&encoding-type=url&delimiter=/&prefix=odd/")
    root = ET.fromstring(body)
    assert [e.text for e in root.iter(NS + "Prefix")][1:] == ["odd/a%20b/", "odd/caf%C3%A9/", "odd/dir.with.dots/", "odd/%E8%A6%B3%E6%B8%AC/"], body
    status, _, body = ctx.server.raw("/backup?list-type=2&encoding-type=base64")
    assert status == 400 and b"InvalidArgument" in body


@check
def max_keys_limits(ctx):
    response = ctx.s3.list_objects_v2(Bucket="backup", MaxKeys=0)
    assert "Contents" not in response and response["KeyCount"] == 0 and not response["IsTruncated"]
    response = ctx.s3.list_objects_v2(Bucket="backup", MaxKeys=5000)
    assert response["KeyCount"] == 1000 and len(response["Contents"]) == 1000 and response["IsTruncated"]
    response = ctx.s3.list_objects_v2(Bucket="backup")
    assert response["KeyCount"] == 1000 and response["MaxKeys"] == 1000
    status, _, body = ctx.server.raw("/backup?list-type=2&max-keys=abc")
    assert status == 400 and b"<Code>InvalidArgument</Code>" in body, body
    code, status, _ = error_code(lambda: ctx.s3.list_objects_v2(Bucket="backup", ContinuationToken="not-a-token"))
    assert (code, status) == ("InvalidArgument", 400)


@check
def expected_matches_listings(ctx):
    for backup, source in PAIRS:
        expected = ctx.server.control("GET", f"/_standin/expected?backup={backup}&source={source}")
        missing_in_backup, missing_in_source, different = differences(ctx.listings[backup], ctx.listings[source])
        assert expected["MissingInBackup"] == missing_in_backup, backup
        assert expected["MissingInSource"] == missing_in_source, backup
        assert [d["Key"] for d in expected["Different"]] == different, backup
        counts = expected["Counts"]
        quarter = DIFFERENCES // 4
        assert (counts["MissingInBackup"], counts["MissingInSource"], counts["DifferentSize"], counts["DifferentSameSize"]) == \
            (quarter,) * 4, counts
        sizes = {k: s for k, s, _, _ in ctx.listings[source]}
        backup_sizes = {k: s for k, s, _, _ in ctx.listings[backup]}
        same_size = [d["Key"] for d in expected["Different"] if d["Reason"] == "ETagDiffers"]
        assert all(sizes[k] == backup_sizes[k] for k in same_size) and len(same_size) == quarter
        assert counts["Equal"] + counts["Different"] + counts["MissingInSource"] == counts["BackupKeys"] == ctx.counts[backup]
        ctx.expected[(backup, source)] = expected


def versions_of(s3, bucket, page_size, prefix=""):
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}))
    return pages, entries(pages, "Versions"), entries(pages, "DeleteMarkers")


@check
def versions_listing(ctx):
    for bucket in ("vbackup", "vsource"):
        pages, versions, markers = versions_of(ctx.s3, bucket, 1000)
        # Small pages cut a key's versions in two: the next page goes on from NextKeyMarker and NextVersionIdMarker.
        for size, prefix in ((7, ""), (2, "spice/"), (1, "odd/")):
            _, small_v, small_m = versions_of(ctx.s3, bucket, size, prefix)
            assert [(v["Key"], v["VersionId"]) for v in small_v] == [(v["Key"], v["VersionId"]) for v in versions if v["Key"].startswith(prefix)], (bucket, size)
            assert [(m["Key"], m["VersionId"]) for m in small_m] == [(m["Key"], m["VersionId"]) for m in markers if m["Key"].startswith(prefix)], (bucket, size)
        assert all(len(p.get("Versions", [])) + len(p.get("DeleteMarkers", [])) <= 1000 for p in pages)
        by_key = {}
        for v in versions:
            by_key.setdefault(v["Key"], []).append((v["LastModified"], v["IsLatest"], False, v))
        for m in markers:
            by_key.setdefault(m["Key"], []).append((m["LastModified"], m["IsLatest"], True, m))
        current = []
        counts = {}
        for key, stack in by_key.items():
            stack.sort(key=lambda e: e[0], reverse=True)
            assert [e[1] for e in stack] == [True] + [False] * (len(stack) - 1), f"IsLatest is not on the newest only: {key}"
            assert len({e[3]["VersionId"] for e in stack}) == len(stack)
            assert len({e[0] for e in stack}) == len(stack), f"two versions of {key} share a LastModified"
            counts[len(stack)] = counts.get(len(stack), 0) + 1
            if not stack[0][2]:
                v = stack[0][3]
                current.append((key, v["Size"], v["ETag"], v["LastModified"]))
        assert utf8_sorted(current) == ctx.listings[bucket], f"{bucket}: the latest versions are not the current listing"
        assert any(m["IsLatest"] for m in markers) and any(not m["IsLatest"] for m in markers), bucket
        assert {1, 2, 3} <= set(counts), counts
        ctx.versions[bucket] = by_key
    # Replication keeps version ids: what the backup holds is the source's history (the source has newer versions on top).
    backup, source = ctx.versions["vbackup"], ctx.versions["vsource"]
    expected = ctx.expected[("vbackup", "vsource")]
    different = {d["Key"] for d in expected["Different"]}
    for key in set(backup) & set(source):
        b_ids = [e[3]["VersionId"] for e in backup[key]]
        s_ids = [e[3]["VersionId"] for e in source[key]]
        if key in different or key in expected["MissingInSource"]:
            assert s_ids[1:] == b_ids, key
        else:
            assert s_ids == b_ids, key
    for key in expected["MissingInSource"]:
        assert source[key][0][2], f"{key} was removed from the versioned source without a delete marker"
    # An unversioned bucket lists each object once, as version null.
    _, versions, markers = versions_of(ctx.s3, "backup", 1000)
    assert not markers and [(v["Key"], v["Size"], v["ETag"], v["LastModified"]) for v in versions] == ctx.listings["backup"]
    assert all(v["VersionId"] == "null" and v["IsLatest"] for v in versions)
    status, _, body = ctx.server.raw("/vbackup?versions&version-id-marker=abc")
    assert status == 400 and b"InvalidArgument" in body


@check
def bucket_requests(ctx):
    s3 = ctx.s3
    assert s3.head_bucket(Bucket="backup")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket="backup").get("LocationConstraint") is None
    assert s3.get_bucket_versioning(Bucket="vbackup")["Status"] == "Enabled"
    assert "Status" not in s3.get_bucket_versioning(Bucket="backup")
    assert error_code(lambda: s3.get_bucket_replication(Bucket="backup"))[:2] == ("ReplicationConfigurationNotFoundError", 404)
    assert error_code(lambda: s3.get_bucket_ownership_controls(Bucket="vsource"))[:2] == ("OwnershipControlsNotFoundError", 404)
    assert error_code(lambda: s3.list_objects_v2(Bucket="nosuchbucket"))[:2] == ("NoSuchBucket", 404)
    assert error_code(lambda: s3.head_bucket(Bucket="nosuchbucket"))[:2] == ("404", 404)
    assert error_code(lambda: s3.put_object(Bucket="backup", Key="x", Body=b"x"))[:2] == ("NotImplemented", 501)
    assert error_code(lambda: s3.get_bucket_acl(Bucket="backup"))[:2] == ("NotImplemented", 501)
    assert error_code(lambda: s3.delete_object(Bucket="backup", Key="README.md"))[:2] == ("NotImplemented", 501)
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == sorted(ctx.counts)


@check
def objects_head_and_get(ctx):
    s3 = ctx.s3
    listing = ctx.listings["backup"]
    sample = [e for e in listing if e[0].startswith("odd/") or "/" not in e[0]] + listing[::997]
    for key, size, etag, modified in sample:
        head = s3.head_object(Bucket="backup", Key=key)
        assert (head["ContentLength"], head["ETag"], head["LastModified"]) == (size, etag, modified), key
    key, size, etag, _ = min(listing, key=lambda e: e[1])
    body = s3.get_object(Bucket="backup", Key=key)["Body"].read()
    assert len(body) == size and body == s3.get_object(Bucket="backup", Key=key)["Body"].read()
    part = s3.get_object(Bucket="backup", Key=key, Range="bytes=10-19")
    assert part["Body"].read() == body[10:20] and part["ContentRange"] == f"bytes 10-19/{size}"
    assert error_code(lambda: s3.head_object(Bucket="backup", Key="no/such/key"))[:2] == ("404", 404)
    assert error_code(lambda: s3.get_object(Bucket="backup", Key="no/such/key"))[:2] == ("NoSuchKey", 404)
    # Versions: an older one by id; a key whose latest is a delete marker; the marker itself.
    stacks = ctx.versions["vbackup"]
    key, stack = next((k, s) for k, s in stacks.items() if len(s) >= 2 and not s[1][2])
    older = stack[1][3]
    head = s3.head_object(Bucket="vbackup", Key=key, VersionId=older["VersionId"])
    assert (head["ContentLength"], head["ETag"], head["VersionId"]) == (older["Size"], older["ETag"], older["VersionId"])
    # Every version a listing shows answers HEAD by its id with the same size, ETag and time (delete markers: 405).
    sample = [(k, s) for k, s in ctx.versions["vsource"].items() if len(s) >= 3][:40]
    assert any(e[2] for _, s in sample for e in s[1:]), "no delete marker among older versions in the sample"
    for key, stack in sample:
        for modified, _, marker, entry in stack:
            if marker:
                status = error_code(lambda: s3.head_object(Bucket="vsource", Key=key, VersionId=entry["VersionId"]))[1]
                assert status == 405, (key, status)
            else:
                head = s3.head_object(Bucket="vsource", Key=key, VersionId=entry["VersionId"])
                assert (head["ContentLength"], head["ETag"], head["LastModified"]) == (entry["Size"], entry["ETag"], modified), key
    key, stack = next((k, s) for k, s in stacks.items() if s[0][2])
    code, status, response = error_code(lambda: s3.get_object(Bucket="vbackup", Key=key))
    assert (code, status) == ("NoSuchKey", 404) and response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    code, status, _ = error_code(lambda: s3.head_object(Bucket="vbackup", Key=key, VersionId=stack[0][3]["VersionId"]))
    assert status == 405, (code, status)


@check
def signatures_required_presigned_accepted(ctx):
    status, _, body = ctx.server.raw("/backup?list-type=2", headers={})
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    url = ctx.s3.generate_presigned_url("get_object", Params={"Bucket": "backup", "Key": "odd/a b/c d.txt"})
    with urllib.request.urlopen(url) as response:
        assert response.status == 200 and int(response.headers["Content-Length"]) == dict((k, s) for k, s, _, _ in ctx.listings["backup"])["odd/a b/c d.txt"]
    url = ctx.s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "backup", "Prefix": "odd/"})
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
    stats = ctx.server.control("GET", "/_standin/stats")
    assert stats["Unsigned"] >= 1 and stats["AccessKeys"].get(ACCESS_KEY, 0) > 0, stats


@check
def virtual_host_addressing(ctx):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = resolve
    try:
        s3 = s3_client(f"http://localhost:{ctx.server.port}", style="virtual")
        listing, _, _ = list_v2(s3, "backup", 100, Prefix="odd/")
        assert listing == [e for e in ctx.listings["backup"] if e[0].startswith("odd/")]
        assert s3.head_object(Bucket="backup", Key="odd/\U0001F600-emoji.txt")["ContentLength"] > 0
        assert s3.get_bucket_versioning(Bucket="vsource")["Status"] == "Enabled"
    finally:
        socket.getaddrinfo = real
    with open(ctx.server.log, encoding="utf-8") as log:
        assert any("host=backup.localhost:" in line and "op=ListObjectsV2" in line for line in log)


@check
def latency_concurrency_keep_alive(ctx):
    server = ctx.server
    assert server.control("POST", "/_standin/latency", {"ms": 250}) == {"ms": 250.0}
    server.control("POST", "/_standin/reset-stats")
    try:
        count, times, barrier = 96, [], threading.Barrier(96)

        def one():
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            connection.connect()
            barrier.wait()
            started = time.perf_counter()
            connection.request("GET", "/backup?list-type=2", headers=SIGNED)
            response = connection.getresponse()
            assert response.status == 200 and len(response.read()) > 100000
            times.append(time.perf_counter() - started)
            connection.close()

        threads = [threading.Thread(target=one) for _ in range(count)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        assert len(times) == count and min(times) >= 0.25, (len(times), min(times or [0]))
        assert elapsed < 4, f"{count} requests of 250 ms each took {elapsed:.2f} s: they wait for each other"
        stats = server.control("GET", "/_standin/stats")
        assert stats["MaxConcurrent"] >= 64 and stats["Requests"]["ListObjectsV2"] == count, stats
        assert stats["LatencyMs"] == 250
        # Keep-alive: three answers on one connection.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        sockets = set()
        for _ in range(3):
            connection.request("GET", "/backup?list-type=2&max-keys=1", headers=SIGNED)
            connection.getresponse().read()
            sockets.add(id(connection.sock))
        assert len(sockets) == 1
        connection.close()
    finally:
        server.control("POST", "/_standin/latency", {"ms": 0})


@check
def stats_count_and_reset(ctx):
    server = ctx.server
    server.control("POST", "/_standin/reset-stats")
    for _ in range(3):
        ctx.s3.list_objects_v2(Bucket="flat")
    ctx.s3.head_bucket(Bucket="flat")
    stats = server.control("POST", "/_standin/reset-stats")
    assert stats["Requests"] == {"ListObjectsV2": 3, "HeadBucket": 1}, stats
    assert stats["Pages"] == 3 and stats["Entries"] == 3000 and stats["PagesByBucket"] == {"flat": 3} and stats["BytesSent"] > 3 * 200000
    assert stats["CpuMsPerPage"] > 0
    stats = server.control("GET", "/_standin/stats")
    assert stats["Requests"] == {} and stats["InFlight"] == 0, stats
    buckets = {b["Name"]: b for b in server.control("GET", "/_standin/buckets")}
    assert buckets["source"]["Like"] == "backup" and buckets["vsource"]["Versioned"] and buckets["flat"]["Shape"] == "flat"


@check
def spec_file(ctx):
    spec = {"seed": 7, "latency_ms": 5, "shape": "flat", "differences": 8,
            "buckets": [{"name": "one", "keys": 1000}, {"name": "two", "keys": 1000, "versioned": True},
                        {"name": "three", "keys": 700, "shape": "hierarchy"}]}
    folder = tempfile.mkdtemp(dir=ctx.folder)
    path = os.path.join(folder, "spec.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    server = Server(folder, "--spec", path, log=False)
    try:
        buckets = {b["Name"]: b for b in server.control("GET", "/_standin/buckets")}
        assert buckets["two"]["Like"] == "one" and buckets["two"]["Versioned"] and buckets["three"]["Like"] is None
        assert buckets["one"]["Keys"] == 1000 and buckets["three"]["Keys"] == 700 and buckets["three"]["Shape"] == "hierarchy"
        counts = server.control("GET", "/_standin/expected?backup=one&source=two")["Counts"]
        assert counts["MissingInBackup"] == counts["MissingInSource"] == counts["DifferentSize"] == counts["DifferentSameSize"] == 2
        assert server.control("GET", "/_standin/latency") == {"ms": 5.0}
        # The same seed gives the same keys; another seed others.
        s3 = s3_client(server.endpoint)
        server.control("POST", "/_standin/reset-stats")
        again, _, _ = list_v2(s3, "two")
        assert len(again) == 1000
        stats = server.control("GET", "/_standin/stats")
        assert stats["Requests"] == {"ListObjectsV2": 1} and stats["InFlight"] == 0 and stats["MaxConcurrent"] == 1, stats
    finally:
        server.stop()


def aws_environment(folder):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.path.join(folder, "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(folder, "no-aws-credentials"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    return env


def aws_binaries():
    found = []
    for candidate in ("/usr/bin/aws", shutil.which("aws")):
        if candidate and os.path.exists(candidate) and os.path.realpath(candidate) not in [os.path.realpath(f) for f in found]:
            found.append(candidate)
    return found


@check
def aws_cli_ls_and_sync_dryrun(ctx):
    binaries = aws_binaries()
    if not binaries:
        print("  (no aws CLI: skipped)")
        return
    env = aws_environment(ctx.folder)
    for aws in binaries:
        for backup, source in (("backup", "source"), ("vbackup", "vsource")):
            out = subprocess.run([aws, "s3", "ls", "--recursive", f"s3://{backup}", "--endpoint-url", ctx.server.endpoint],
                                 env=env, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stderr
            lines = out.stdout.splitlines()
            assert len(lines) == ctx.counts[backup], (aws, len(lines))
            out = subprocess.run([aws, "s3", "sync", "--dryrun", "--delete", f"s3://{backup}", f"s3://{source}",
                                  "--endpoint-url", ctx.server.endpoint], env=env, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stderr
            copies = utf8_sorted(line.split(f" to s3://{source}/", 1)[1] for line in out.stdout.splitlines() if line.startswith("(dryrun) copy: "))
            deletes = utf8_sorted(line[len(f"(dryrun) delete: s3://{source}/"):] for line in out.stdout.splitlines() if line.startswith("(dryrun) delete: "))
            expected = ctx.expected[(backup, source)]
            # aws s3 sync compares size and time: it copies what the source lacks and what changed size, and misses
            # same-size changes (the source's copy is newer).
            want = utf8_sorted(expected["MissingInSource"] + [d["Key"] for d in expected["Different"] if d["Reason"] == "SizeDiffers"])
            assert copies == want, (aws, backup, len(copies), len(want))
            assert deletes == expected["MissingInBackup"], (aws, backup)
        print(f"  {aws}: {subprocess.run([aws, '--version'], capture_output=True, text=True).stdout.strip().split()[0]} ok")


def rclone_environment(ctx, list_version):
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE" and not k.startswith("RCLONE_")}
    config = os.path.join(ctx.folder, "rclone.conf")
    open(config, "w").close()
    env.update(RCLONE_CONFIG=config, RCLONE_CONFIG_STANDIN_TYPE="s3", RCLONE_CONFIG_STANDIN_PROVIDER="Other",
               RCLONE_CONFIG_STANDIN_ENDPOINT=ctx.server.endpoint, RCLONE_CONFIG_STANDIN_ACCESS_KEY_ID=ACCESS_KEY,
               RCLONE_CONFIG_STANDIN_SECRET_ACCESS_KEY=SECRET_KEY, RCLONE_CONFIG_STANDIN_FORCE_PATH_STYLE="true",
               RCLONE_CONFIG_STANDIN_LIST_VERSION=str(list_version))
    return env


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return utf8_sorted(line.rstrip("\n") for line in f if line.rstrip("\n"))


@check
def rclone_lsf_and_check(ctx):
    rclone = shutil.which("rclone")
    if not rclone:
        print("  (no rclone: skipped)")
        return
    for list_version, operation in ((1, "ListObjects"), (2, "ListObjectsV2")):
        env = rclone_environment(ctx, list_version)
        ctx.server.control("POST", "/_standin/reset-stats")
        out = subprocess.run([rclone, "lsf", "-R", "--files-only", "standin:backup"], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert utf8_sorted(out.stdout.splitlines()) == keys_of(ctx.listings["backup"]), "rclone lsf -R"
        for backup, source in PAIRS:
            for extra in ([], ["--fast-list"]):
                files = {name: os.path.join(ctx.folder, f"rclone-{name}") for name in ("missing-on-src", "missing-on-dst", "differ")}
                out = subprocess.run([rclone, "check", f"standin:{backup}", f"standin:{source}", "--checkers", "8", *extra,
                                      *[a for name, path in files.items() for a in (f"--{name}", path)]],
                                     env=env, capture_output=True, text=True, timeout=600)
                assert out.returncode in (0, 1), out.stderr
                expected = ctx.expected[(backup, source)]
                assert read_lines(files["missing-on-dst"]) == expected["MissingInSource"], (backup, extra)
                assert read_lines(files["missing-on-src"]) == expected["MissingInBackup"], (backup, extra)
                assert read_lines(files["differ"]) == [d["Key"] for d in expected["Different"]], (backup, extra)
        stats = ctx.server.control("GET", "/_standin/stats")
        assert set(stats["Requests"]) == {operation}, (list_version, stats["Requests"])


class Context:
    pass


def main():
    global passed, failed
    keep = "--keep" in sys.argv
    folder = tempfile.mkdtemp(prefix="listing-selftest-")
    server = Server(folder, *[a for b in BUCKETS for a in ("--bucket", b)], "--seed", "1", "--latency-ms", "0",
                    "--differences", str(DIFFERENCES))
    ctx = Context()
    ctx.server, ctx.folder, ctx.s3 = server, folder, s3_client(server.endpoint)
    ctx.counts = {b["Name"]: b["Keys"] for b in server.control("GET", "/_standin/buckets")}
    ctx.listings, ctx.expected, ctx.versions = {}, {}, {}
    try:
        for function in checks:
            started = time.perf_counter()
            try:
                function(ctx)
            except Exception:
                failed += 1
                print(f"FAIL {function.__name__}\n{traceback.format_exc()}")
            else:
                passed += 1
                print(f"ok   {function.__name__} ({time.perf_counter() - started:.1f} s)")
    finally:
        server.stop()
        if not keep and not failed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"files kept in {folder}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
