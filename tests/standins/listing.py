#!/usr/bin/env python3
"""
A loopback stand-in that serves huge synthetic S3 buckets (10^5..10^6 keys each) in S3's listing wire format, with a
configurable latency on every request, for benchmarks of listing and planning at scale (issue 23). Nothing is
stored: keys are generated from a seed, and each key's size, ETag, LastModified and versions are derived from a hash.

Buckets (--bucket NAME=COUNT[,option...], repeatable, or "buckets" in --spec FILE.json):
  The first bucket of a given COUNT and shape is a reference bucket: COUNT keys generated from --seed. A later bucket
  with the same COUNT and shape (or with like=OTHER) equals that reference except for a deterministic set of
  --differences (its own, seeded by its name), split evenly four ways: keys missing in it (removed; on a versioned
  bucket they carry a delete marker), keys only in it (added), same-size content changes (another ETag, same Size,
  later LastModified) and size changes. So `--bucket backup=500000 --bucket source=500000 --differences 1000` gives a
  source that differs from its backup in exactly 1000 keys; GET /_standin/expected says which.
  Options: versioned / unversioned, hierarchy / flat, like=OTHER, new (its own reference, not derived),
  differences=N, deleted=N.
  Shapes: hierarchy (default): imap/<instrument>/<level>/YYYY/MM/DD/imap_<inst>_<level>_YYYYMMDD_vNNN_<n>.cdf for
  about 90% of the keys, then logs/, spice/, quicklook/, manifests/, config/ (very unequal sizes), two top-level keys
  and a few odd/ keys with spaces, + & < > " ' % # ?, accents, CJK, an emoji and U+FB01 (which sort differently in
  UTF-8 and UTF-16). flat: data/obj-0000000 ... data/obj-<COUNT-1> (added keys: data/obj-NNNNNNN.<n>).
  Versioned buckets: every key has 1..--max-versions versions (newest first, IsLatest on the newest, every tenth
  key of three or more versions has a delete marker between them), and --deleted keys (default 0.5%) exist only as
  versions under a latest delete marker, the same in every versioned bucket of the reference; a derived bucket's
  changed keys have one version more than the reference (the reference's history below it, same version ids, as
  replication keeps them). An unversioned bucket lists each current object once with VersionId null.

Served (path-style, and virtual-host style for hosts <bucket>.localhost or <bucket>.<--domain>; glibc does not
resolve <bucket>.localhost, so a virtual-host client needs its own resolution to 127.0.0.1):
  ListObjectsV2 (list-type=2: prefix, delimiter, start-after, continuation-token (opaque), max-keys (default and at
  most 1000), encoding-type=url, fetch-owner), ListObjects (marker, NextMarker with a delimiter), ListObjectVersions
  (key-marker, version-id-marker), ListBuckets, HeadBucket, GetBucketLocation, GetBucketVersioning,
  GetBucketReplication (404 ReplicationConfigurationNotFoundError), GetBucketOwnershipControls (404
  OwnershipControlsNotFoundError), HeadObject / GetObject (versionId, Range; the body is deterministic bytes of the
  object's size, and its MD5 is NOT the listed ETag), 404 NoSuchBucket / NoSuchKey, anything else 501
  NotImplemented, all as S3's XML errors. Keys are in UTF-8 binary order. With encoding-type=url, Key, Prefix,
  Delimiter, StartAfter, Marker, NextMarker, KeyMarker, NextKeyMarker and CommonPrefixes are percent-encoded
  ('/' left as is, as real S3 leaves it; a space as %20, which every client's decoder reads back). Signatures are not checked, but a request must carry an Authorization
  header or a presigned query (X-Amz-Signature / Signature), else 403 AccessDenied; access key ids are counted, and
  --log FILE writes a line per request. Every request is answered --latency-ms after it arrived (the page is built
  meanwhile; a thread per connection, keep-alive, so 100+ concurrent listings each still wait just the latency).
  Cost (2 cores): about 0.8 ms of the server's CPU per 1000-key ListObjectsV2 or ListObjects page (0.4 ms of it
  building the XML), about 1.5 ms per 1000-entry ListObjectVersions page; 2 x 500,000 keys take about 4 s to build
  and 210 MB of memory (versioned: 6 s and 280 MB; the build peaks about 1.5 times higher).

Control (under /_standin/, no latency, not counted):
  GET  /_standin/expected?backup=B&source=S -> {"Backup", "Source", "Counts": {MissingInBackup, MissingInSource,
        Different, DifferentSize, DifferentSameSize, Equal, BackupKeys, SourceKeys}, "MissingInBackup": [keys],
        "MissingInSource": [keys], "Different": [{Key, Reason (SizeDiffers|ETagDiffers), BackupSize, SourceSize,
        BackupETag, SourceETag}]} comparing the two buckets' current objects (keys in UTF-8 order)
  GET  /_standin/stats      -> {"Requests": {operation: n}, "Pages", "PagesByBucket", "Entries" (listed keys,
        versions, markers, prefixes), "BytesSent", "MaxConcurrent", "InFlight", "Unsigned", "AccessKeys",
        "ListCpuSeconds" (thread CPU spent answering list requests), "CpuMsPerPage", "ProcessCpuSeconds",
        "LatencyMs", "Since"}
  POST /_standin/reset-stats -> the stats up to now, then zeroes them
  GET|POST /_standin/latency {"ms": 100} -> {"ms": 100}: the latency from now on
  GET  /_standin/buckets    -> [{Name, Keys (current objects), Entries (keys listed by versions), Versioned, Shape,
        Like, Differences}]
"""
import argparse
import array
import base64
import bisect
import hashlib
import json
import os
import random
import re
import socket
import threading
import time
import traceback
from datetime import date, datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote

from loopback import serve

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OWNER = f"<Owner><ID>{OWNER_ID}</ID><DisplayName>standin</DisplayName></Owner>"
M64 = (1 << 64) - 1
MAX_KEYS = 1000

# --- what a synthetic key looks like -------------------------------------------------------------------------------

TOPS = [("imap", 900), ("logs", 45), ("spice", 25), ("quicklook", 15), ("manifests", 10), ("config", 5)]
INSTRUMENTS = [("mag", 30), ("swe", 14), ("codice", 12), ("swapi", 10), ("hit", 9), ("hi", 7), ("lo", 6),
               ("ultra", 6), ("idex", 3), ("glows", 3)]
LEVELS = [("l0", 4), ("l1a", 30), ("l1b", 26), ("l1c", 20), ("l2", 20)]
VERSIONS = [(1, 70), (2, 20), (3, 8), (4, 2)]
SERVICES = [("ingest", 50), ("processing", 30), ("sync", 15), ("api", 5)]
SPICE = [("ck", "bc", 50), ("spk", "bsp", 25), ("sclk", "tsc", 10), ("fk", "tf", 5), ("ik", "ti", 5), ("lsk", "tls", 5)]
DAY0 = date(2024, 9, 25)
NDAYS = 800
DAYS = [(d.strftime("%Y"), d.strftime("%m"), d.strftime("%d"), d.timetuple().tm_yday)
        for d in (DAY0 + timedelta(n) for n in range(NDAYS))]
ODD_KEYS = [
    "README.md", "index.html",
    "odd/a b/c d.txt", "odd/plus+sign.txt", "odd/amp&ersand<tag>.xml", "odd/quote\"and'apos.txt",
    "odd/percent%20literal.txt", "odd/hash#question?.txt", "odd/equals=comma,semicolon;.txt",
    "odd/caf\u00e9/cr\u00e8me br\u00fbl\u00e9e.txt", "odd/\u89b3\u6e2c/\u30c7\u30fc\u30bf.cdf",
    "odd/\ufb01le-ligature.txt", "odd/\U0001F600-emoji.txt", "odd/tilde~star*paren(1).txt",
    "odd/dir.with.dots/.hidden", "odd/trailing space .txt",
]
PLAIN = re.compile(r"[A-Za-z0-9/_.~-]*\Z")   # keys that need neither XML escaping nor URL encoding


def _chooser(rng, table, weight=-1):
    total = sum(row[weight] for row in table)
    bounds, acc = [], 0
    for row in table:
        acc += row[weight]
        bounds.append(acc / total)
    rows = [row[0] if len(row) == 2 else row[:-1] for row in table]
    rand, right = rng.random, bisect.bisect_right
    return lambda: rows[min(right(bounds, rand()), len(rows) - 1)]


def generate_keys(seed, shape, count, extra):
    """count reference keys (unique, deterministic), then extra more from the same stream (they do not change the first count)."""
    keys = []
    if shape == "flat":
        width = max(7, len(str(count)))
        keys = [f"data/obj-{n:0{width}d}" for n in range(count)]
        rng = random.Random(f"{seed}/flat/{count}")
        keys += [f"data/obj-{rng.randrange(max(count, 1)):0{width}d}.{n}" for n in range(extra)]
        return keys
    rng = random.Random(f"{seed}/hierarchy/{count}")
    width = max(6, len(str(2 * count)))
    odd = ODD_KEYS if count >= 1000 else []
    top, inst, level, ver = _chooser(rng, TOPS), _chooser(rng, INSTRUMENTS), _chooser(rng, LEVELS), _chooser(rng, VERSIONS)
    service, spice = _chooser(rng, SERVICES), _chooser(rng, SPICE)
    rand = rng.randrange
    keys.extend(odd)
    for n in range(len(odd), count + extra):
        y, m, d, doy = DAYS[rand(NDAYS)]
        t = top()
        if t == "imap":
            i, lv = inst(), level()
            keys.append(f"imap/{i}/{lv}/{y}/{m}/{d}/imap_{i}_{lv}_{y}{m}{d}_v{ver():03d}_{n:0{width}d}.cdf")
        elif t == "logs":
            s, sec = service(), rand(86400)
            keys.append(f"logs/{s}/{y}/{m}/{d}/{s}-{y}{m}{d}T{sec // 3600:02d}{sec // 60 % 60:02d}{sec % 60:02d}-{n:0{width}d}.log")
        elif t == "spice":
            kind, ext = spice()
            keys.append(f"spice/{kind}/imap_{y}_{doy:03d}_{n:0{width}d}.{ext}")
        elif t == "quicklook":
            i = inst()
            keys.append(f"quicklook/{i}/{y}/{m}/imap_{i}_ql_{y}{m}{d}_{n:0{width}d}.png")
        elif t == "manifests":
            keys.append(f"manifests/{y}-{m}/manifest-{y}{m}{d}-{n:0{width}d}.json")
        else:
            keys.append(f"config/{['pipeline', 'instrument', 'calibration', 'alerts'][n % 4]}/v{n % 7}/settings-{n:0{width}d}.yaml")
    return keys


# --- what a key's versions look like: all derived from a 64-bit hash of the key and a generation number ---------------

def mix(x):
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & M64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & M64
    return x ^ (x >> 31)


def content(h, gen):
    """The content word of a key's version number gen (0 = oldest): size, ETag and LastModified come from it."""
    return mix((h + (gen + 1) * 0x9E3779B97F4A7C15) & M64)


SIZES = [int(1024 * 2 ** (n / 100)) for n in range(1400)]   # 1 KiB .. 16 MiB, log-uniform
SPAN = 600 * 86400      # a key's first version is somewhere in these 600 days after T0
STEP = 30 * 86400       # each later version about a month after the one before
T0 = int(datetime(2024, 10, 1, tzinfo=timezone.utc).timestamp())


def size_of(m):
    return SIZES[m % 1400] + (m >> 20) % 1024


def etag_of(m):
    return f"{m:016x}{(m * 0x9E3779B97F4A7C15) & M64:016x}"


def mtime_of(h, gen, m):
    """Seconds after T0; strictly increasing with gen."""
    return h % SPAN + gen * STEP + m % 3600


_DAY_STRINGS = [(datetime.fromtimestamp(T0, timezone.utc) + timedelta(days=n)).strftime("%Y-%m-%d")
                for n in range(SPAN // 86400 + 31 * 202)]
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def iso(t):
    return f"{_DAY_STRINGS[t // 86400]}T{_HMS[t % 86400]}.000Z"


def http_date(t):
    return formatdate(T0 + t, usegmt=True)


def version_id(h, gen):
    """32 characters of [A-Za-z0-9._], as S3's version ids look."""
    x = mix(h ^ ((gen + 7) * 0xD6E8FEB86659FD93 & M64))
    return base64.b64encode((x | (x * 0x9E3779B97F4A7C15 & M64) << 64 | (x * 0xC2B2AE3D27D4EB4F & M64) << 128)
                            .to_bytes(24, "little"), b"._").decode()


def key_hash(seed, key):
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8, key=str(seed).encode()[:64]).digest(), "little")


# --- one bucket -------------------------------------------------------------------------------------------------------

STAMP = 56     # LastModified (24 characters) and ETag (32 hex digits) of a key's newest version, in Bucket.stamps
VID = 32       # characters of a version id


class Bucket:
    """Parallel arrays over the bucket's keys in UTF-8 order (the keys of delete-marked entries included when
    versioned): the key, its hash, the generation of its newest entry, and the newest version's content word, size
    (-1: the newest entry is a delete marker) and LastModified; and, once finished, `stamps`: one ASCII string of
    STAMP characters per key, the newest version's LastModified and ETag as a listing shows them, so a page needs no
    formatting of them (56 bytes a key; it halves a page's CPU)."""

    def __init__(self, name, versioned, shape, max_versions, like=None, differences=0):
        self.name, self.versioned, self.shape, self.max_versions = name, versioned, shape, max_versions
        self.like, self.differences = like, differences
        self.keys, self.hashes = [], array.array("Q")
        self.tops, self.words = bytearray(), array.array("Q")
        self.sizes, self.mtimes = array.array("q"), array.array("I")
        self.current = 0
        self.stamps = ""

    def finish(self):
        self.stamps = "".join([f"{iso(t)}{etag_of(w)}" for w, t in zip(self.words, self.mtimes)])
        assert len(self.stamps) == STAMP * len(self.keys)
        if self.versioned:
            # Every entry's version id (VID characters each), newest first key by key; entry e of key i is number
            # firsts[i] + e. About 64 bytes a key; it makes a versions page about twice as fast.
            self.firsts = array.array("Q", [0])
            total = 0
            for top in self.tops:
                total += top + 1
                self.firsts.append(total)
            self.vids = "".join([version_id(h, gen) for h, top in zip(self.hashes, self.tops) for gen in range(top, -1, -1)])
            assert len(self.vids) == VID * total

    def add(self, key, h, top, word, size):
        self.keys.append(key)
        self.hashes.append(h)
        self.tops.append(top)
        self.words.append(word)
        self.sizes.append(size)
        self.mtimes.append(mtime_of(h, top, word))
        if size >= 0:
            self.current += 1

    def middle_marker(self, h):
        """Whether generation 1 of a key of this hash is a delete marker (every tenth key of three or more versions)."""
        return 1 + h % self.max_versions >= 3 and (h >> 12) % 10 == 0

    def stack(self, i):
        """Entries of key i newest first: (is_delete_marker, version_id, gen, word, size, mtime). The versions listing
        renders the same entries without building them (Lister.list_versions)."""
        h, top = self.hashes[i], self.tops[i]
        if not self.versioned:
            return [(False, "null", top, self.words[i], self.sizes[i], self.mtimes[i])]
        middle = self.middle_marker(h)
        entries = []
        vids, base = self.vids, self.firsts[i] * VID
        for gen in range(top, -1, -1):
            if gen == top:
                word, size = self.words[i], self.sizes[i]
                marker = size < 0
            else:
                word = content(h, gen)
                size = size_of(word)
                marker = gen == 1 and middle
            vid = vids[base:base + VID]
            base += VID
            entries.append((marker, vid, gen, word, size, mtime_of(h, gen, word)))
        return entries


def upper_bound(prefix):
    """The least string greater than every string that starts with prefix (None: no such string)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            nxt = last + 1
            if 0xD800 <= nxt <= 0xDFFF:
                nxt = 0xE000
            return prefix[:-1] + chr(nxt)
        prefix = prefix[:-1]
    return None


class World:
    def __init__(self, config):
        self.seed = config["seed"]
        self.buckets = {}
        self.xml_names = {}     # key -> XML-escaped, for keys that are not PLAIN
        self.url_names = {}     # key -> percent-encoded, for keys that are not PLAIN
        self.expected_cache = {}
        self.region = config.get("region", "us-east-1")
        started = time.perf_counter()
        specs = config["buckets"]
        # Reference buckets first, then the buckets derived from them.
        references = {}
        for spec in specs:
            if spec.get("like") is None and not spec.get("new"):
                earlier = next((s for s in specs if s is not spec and s["keys"] == spec["keys"] and s["shape"] == spec["shape"]
                                and s.get("like") is None and specs.index(s) < specs.index(spec)), None)
                if earlier is not None:
                    spec["like"] = earlier["name"]
        for spec in specs:
            if spec.get("like") is not None:
                base = next((s for s in specs if s["name"] == spec["like"]), None)
                if base is None or base.get("like") is not None:
                    raise SystemExit(f"bucket {spec['name']}: like={spec['like']} must name a reference bucket declared with --bucket")
                spec["keys"], spec["shape"] = base["keys"], base["shape"]
                references.setdefault(base["name"], []).append(spec)
        for spec in specs:
            if spec.get("like") is None:
                self._build_family(spec, references.get(spec["name"], []))
        self.build_seconds = time.perf_counter() - started

    def _names(self, keys):
        xml_names, url_names = self.xml_names, self.url_names
        for key in keys:
            if not PLAIN.match(key):
                xml_names[key] = xml_escape(key)
                url_names[key] = quote(key, safe="/~")

    def _build_family(self, ref, derived):
        count, shape = ref["keys"], ref["shape"]
        versioned_any = ref["versioned"] or any(d["versioned"] for d in derived)
        deleted = ref.get("deleted")
        if deleted is None:
            deleted = count // 200 if versioned_any else 0
        plans = []
        for d in derived:
            n = d.get("differences", 0)
            parts = [n // 4 + (1 if k < n % 4 else 0) for k in range(4)]   # removed, added, same size, size
            plans.append((d, parts))
        added_max = max([p[1] for _, p in plans], default=0)
        extra = deleted + added_max
        if extra > count:
            raise SystemExit(f"bucket {ref['name']}: {extra} added and deleted keys need at least that many keys")
        seed = self.seed if not ref.get("new") else f"{self.seed}/{ref['name']}"
        universe = generate_keys(seed, shape, count, extra)
        if len(set(universe)) != len(universe):
            raise SystemExit("generated keys are not unique")
        self._names(universe)
        # UTF-8 binary order; for valid Unicode it is the same as code point order, which bisect on str uses.
        order = sorted(range(len(universe)), key=lambda n: universe[n].encode("utf-8"))
        hashes = [key_hash(self.seed, k) for k in universe]
        maxv = ref["max_versions"]

        def reference_state(n):
            h = hashes[n]
            top = h % maxv
            word = content(h, top)
            return h, top, word, size_of(word)

        # The reference: keys 0..count-1, and the deleted ones (count..count+deleted-1) under a delete marker.
        b = Bucket(ref["name"], ref["versioned"], shape, maxv)
        for n in order:
            if n < count:
                b.add(universe[n], *reference_state(n))
            elif n < count + deleted and b.versioned:
                h, top, _, _ = reference_state(n)
                b.add(universe[n], h, top + 1, 0, -1)
        b.finish()
        self.buckets[b.name] = b
        for d, (removed_n, added_n, same_n, size_n) in plans:
            rng = random.Random(f"{self.seed}/{ref['name']}/{d['name']}")
            picked = rng.sample(range(count), removed_n + same_n + size_n)
            removed, same, resized = set(picked[:removed_n]), set(picked[removed_n:removed_n + same_n]), set(picked[removed_n + same_n:])
            added = set(rng.sample(range(count + deleted, count + extra), added_n)) if added_n else set()
            c = Bucket(d["name"], d["versioned"], shape, maxv, like=ref["name"], differences=d.get("differences", 0))
            for n in order:
                if n < count:
                    h, top, word, size = reference_state(n)
                    if n in removed:
                        if c.versioned:
                            c.add(universe[n], h, top + 1, 0, -1)
                        continue
                    if n in same:
                        word = content(h, top + 1)
                        c.add(universe[n], h, top + 1, word, size)
                    elif n in resized:
                        word = content(h, top + 1)
                        new_size = size_of(word)
                        c.add(universe[n], h, top + 1, word, new_size if new_size != size else size + 1)
                    else:
                        c.add(universe[n], h, top, word, size)
                elif n < count + deleted:
                    if c.versioned:
                        h, top, _, _ = reference_state(n)
                        c.add(universe[n], h, top + 1, 0, -1)
                elif n in added:
                    c.add(universe[n], *reference_state(n))
            c.finish()
            self.buckets[c.name] = c

    def expected(self, backup_name, source_name):
        cached = self.expected_cache.get((backup_name, source_name))
        if cached:
            return cached
        a, b = self.buckets[backup_name], self.buckets[source_name]
        missing_in_backup, missing_in_source, different = [], [], []
        equal = size_differs = 0
        i = j = 0
        ak, bk, asz, bsz = a.keys, b.keys, a.sizes, b.sizes
        na, nb = len(ak), len(bk)
        while i < na or j < nb:
            if i < na and asz[i] < 0:
                i += 1
                continue
            if j < nb and bsz[j] < 0:
                j += 1
                continue
            if j >= nb or (i < na and ak[i] < bk[j]):
                missing_in_source.append(ak[i])
                i += 1
            elif i >= na or bk[j] < ak[i]:
                missing_in_backup.append(bk[j])
                j += 1
            else:
                ae, be = etag_of(a.words[i]), etag_of(b.words[j])
                if asz[i] != bsz[j] or ae != be:
                    reason = "SizeDiffers" if asz[i] != bsz[j] else "ETagDiffers"
                    size_differs += reason == "SizeDiffers"
                    different.append({"Key": ak[i], "Reason": reason, "BackupSize": asz[i], "SourceSize": bsz[j],
                                      "BackupETag": f'"{ae}"', "SourceETag": f'"{be}"'})
                else:
                    equal += 1
                i += 1
                j += 1
        result = {
            "Backup": backup_name, "Source": source_name,
            "Counts": {"MissingInBackup": len(missing_in_backup), "MissingInSource": len(missing_in_source),
                       "Different": len(different), "DifferentSize": size_differs,
                       "DifferentSameSize": len(different) - size_differs, "Equal": equal,
                       "BackupKeys": a.current, "SourceKeys": b.current},
            "MissingInBackup": missing_in_backup, "MissingInSource": missing_in_source, "Different": different,
        }
        data = json.dumps(result).encode()
        self.expected_cache[(backup_name, source_name)] = data
        return data


def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;")


# --- listings -----------------------------------------------------------------------------------------------------------

class ListingError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_max_keys(query):
    raw = query.get("max-keys")
    if raw is None:
        return MAX_KEYS
    try:
        value = int(raw)
    except ValueError:
        raise ListingError(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
    if value < 0:
        raise ListingError(400, "InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647")
    return min(value, MAX_KEYS)


class Lister:
    """Builds listing answers for one bucket; query is a dict of single values."""

    def __init__(self, world, bucket, query):
        self.world, self.b, self.q = world, bucket, query
        self.url = query.get("encoding-type") == "url"
        if "encoding-type" in query and not self.url:
            raise ListingError(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
        self.prefix = query.get("prefix", "")
        self.delimiter = query.get("delimiter", "")
        self.max_keys = parse_max_keys(query)
        names = world.url_names if self.url else world.xml_names
        self.key_name = names.get

    def enc(self, text):
        """An echoed parameter or common prefix, as the answer carries it."""
        if PLAIN.match(text):
            return text
        return quote(text, safe="/~") if self.url else xml_escape(text)

    def prefix_range(self, after=None, after_prefix=None):
        """The index range of keys that start with the prefix, and sort after `after` (or after every key under after_prefix)."""
        keys = self.b.keys
        lo = bisect.bisect_left(keys, self.prefix) if self.prefix else 0
        if after is not None and after != "":
            lo = max(lo, bisect.bisect_right(keys, after))
        if after_prefix is not None:
            bound = upper_bound(after_prefix)
            lo = max(lo, bisect.bisect_left(keys, bound) if bound is not None else len(keys))
        bound = upper_bound(self.prefix) if self.prefix else None
        hi = bisect.bisect_left(keys, bound, lo) if bound is not None else len(keys)
        return lo, max(lo, hi)

    def scan(self, lo, hi, skip_prefix, emit, budget, current_only):
        """Walks keys[lo:hi] (current objects only, or every key), rolling keys up into common prefixes when a
        delimiter is set (never the one equal to skip_prefix: the marker a previous page ended with).
        emit(i, used, budget) renders key i's entries, at most budget - used of them, and returns (how many, last
        item); a versions item ("V", key, version id, cut) says whether the key's versions were cut at the budget.
        Returns (common prefixes, last item, truncated, items used)."""
        keys, sizes, delim = self.b.keys, self.b.sizes, self.delimiter
        plen, dlen = len(self.prefix), len(delim)
        prefixes, last, used, i = [], None, 0, lo
        if budget == 0:
            return prefixes, last, False, 0
        while i < hi:
            if current_only and sizes[i] < 0:
                i += 1
                continue
            k = keys[i]
            if delim:
                at = k.find(delim, plen)
                if at >= 0:
                    cp = k[:at + dlen]
                    bound = upper_bound(cp)
                    nxt = bisect.bisect_left(keys, bound, i, hi) if bound is not None else hi
                    if cp == skip_prefix:
                        # The previous page ended with this common prefix (or the marker is it): not again.
                        i = nxt
                        continue
                    if used == budget:
                        return prefixes, last, True, used
                    prefixes.append(cp)
                    used += 1
                    last = ("P", cp)
                    i = nxt
                    continue
            if used == budget:
                return prefixes, last, True, used
            taken, last = emit(i, used, budget)
            used += taken
            if last[0] == "V" and used == budget and last[3]:
                # A key's versions cut at the budget: more of them follow.
                return prefixes, last, True, used
            i += 1
        return prefixes, last, False, used

    # ListObjects and ListObjectsV2 share the walk over current objects.
    def objects(self, after=None, after_prefix=None, owner=False):
        b = self.b
        lo, hi = self.prefix_range(after, after_prefix)
        keys, sizes, stamps = b.keys, b.sizes, b.stamps
        name = self.key_name
        owner_part = OWNER if owner else ""
        out = []
        if not self.delimiter:
            # The common case, no roll-up: take keys in runs until the page is full (a run of `budget` keys cannot
            # overfill it; delete-marked keys in it leave room for another run). The hot loop of the stand-in.
            budget, i, last = self.max_keys, lo, None
            while budget and i < hi:
                end = min(hi, i + budget)
                part = [f"<Contents><Key>{name(k, k)}</Key><LastModified>{stamps[o:o + 24]}</LastModified><ETag>&quot;"
                        f"{stamps[o + 24:o + STAMP]}&quot;</ETag><Size>{s}</Size>{owner_part}<StorageClass>STANDARD"
                        f"</StorageClass></Contents>"
                        for k, s, o in zip(keys[i:end], sizes[i:end], range(i * STAMP, end * STAMP, STAMP)) if s >= 0]
                if part:
                    out += part
                    budget -= len(part)
                    n = end - 1
                    while sizes[n] < 0:
                        n -= 1
                    last = ("K", keys[n])
                i = end
            truncated = False
            if budget == 0 and self.max_keys:
                j = i
                while j < hi and sizes[j] < 0:
                    j += 1
                truncated = j < hi
            return out, [], last, truncated, self.max_keys - budget

        app = out.append

        def emit(i, used, budget):
            k = keys[i]
            o = i * STAMP
            app(f"<Contents><Key>{name(k, k)}</Key><LastModified>{stamps[o:o + 24]}</LastModified>"
                f"<ETag>&quot;{stamps[o + 24:o + STAMP]}&quot;</ETag><Size>{sizes[i]}</Size>{owner_part}"
                f"<StorageClass>STANDARD</StorageClass></Contents>")
            return 1, ("K", k)

        prefixes, last, truncated, used = self.scan(lo, hi, after_prefix if after_prefix is not None else after, emit,
                                                    self.max_keys, True)
        return out, prefixes, last, truncated, used

    def common_prefixes(self, prefixes):
        return "".join(f"<CommonPrefixes><Prefix>{self.enc(p)}</Prefix></CommonPrefixes>" for p in prefixes)

    def list_v2(self):
        q = self.q
        token = q.get("continuation-token")
        start_after = q.get("start-after")
        after, after_prefix = start_after, None
        if token is not None:
            kind, value = decode_token(token)
            after, after_prefix = (value, None) if kind == "K" else (None, value)
        out, prefixes, last, truncated, used = self.objects(after, after_prefix, owner=q.get("fetch-owner") == "true")
        head = [f'{XML_HEAD}<ListBucketResult xmlns="{NS}"><Name>{self.b.name}</Name><Prefix>{self.enc(self.prefix)}</Prefix>']
        if start_after is not None:
            head.append(f"<StartAfter>{self.enc(start_after)}</StartAfter>")
        if token is not None:
            head.append(f"<ContinuationToken>{xml_escape(token)}</ContinuationToken>")
        if truncated:
            head.append(f"<NextContinuationToken>{encode_token(*last)}</NextContinuationToken>")
        head.append(f"<KeyCount>{used}</KeyCount><MaxKeys>{self.max_keys}</MaxKeys>")
        if self.delimiter:
            head.append(f"<Delimiter>{self.enc(self.delimiter)}</Delimiter>")
        if self.url:
            head.append("<EncodingType>url</EncodingType>")
        head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        return "".join(head) + "".join(out) + self.common_prefixes(prefixes) + "</ListBucketResult>", used

    def list_v1(self):
        marker = self.q.get("marker", "")
        out, prefixes, last, truncated, used = self.objects(marker, None, owner=True)
        head = [f'{XML_HEAD}<ListBucketResult xmlns="{NS}"><Name>{self.b.name}</Name><Prefix>{self.enc(self.prefix)}</Prefix>'
                f"<Marker>{self.enc(marker)}</Marker>"]
        if truncated and self.delimiter:
            head.append(f"<NextMarker>{self.enc(last[1])}</NextMarker>")
        head.append(f"<MaxKeys>{self.max_keys}</MaxKeys>")
        if self.delimiter:
            head.append(f"<Delimiter>{self.enc(self.delimiter)}</Delimiter>")
        if self.url:
            head.append("<EncodingType>url</EncodingType>")
        head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        return "".join(head) + "".join(out) + self.common_prefixes(prefixes) + "</ListBucketResult>", used

    def list_versions(self):
        q, b = self.q, self.b
        key_marker = q.get("key-marker", "")
        vid_marker = q.get("version-id-marker")
        if vid_marker == "":
            vid_marker = None
        first_skip = 0
        if vid_marker is not None:
            if not key_marker:
                raise ListingError(400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.")
            at = bisect.bisect_left(b.keys, key_marker)
            ids = [e[1] for e in b.stack(at)] if at < len(b.keys) and b.keys[at] == key_marker else []
            if vid_marker not in ids:
                raise ListingError(400, "InvalidArgument", "Invalid version id specified")
            first_skip = ids.index(vid_marker) + 1
            lo, hi = self.prefix_range()
            lo = max(lo, at)
            if first_skip >= len(ids):
                lo, first_skip = max(lo, at + 1), 0
        else:
            at = -1
            lo, hi = self.prefix_range(key_marker or None)
        keys, hashes, tops, sizes, mtimes, stamps = b.keys, b.hashes, b.tops, b.sizes, b.mtimes, b.stamps
        versioned, middle_marker = b.versioned, b.middle_marker
        vids, firsts = (b.vids, b.firsts) if versioned else ("", None)
        name = self.key_name
        out = []
        app = out.append
        first = at if vid_marker is not None else -1

        def emit(i, used, budget):
            """Key i's entries newest first, as Bucket.stack(i) has them, from first_skip on for the marker's key."""
            k = keys[i]
            kn = name(k, k)
            h, top = hashes[i], tops[i]
            middle = versioned and middle_marker(h)
            room = budget - used
            vid = None
            taken = 0
            base = firsts[i] * VID if versioned else 0
            for pos in range(first_skip if i == first else 0, top + 1 if versioned else 1):
                if taken == room:
                    return taken, ("V", k, vid, True)
                gen = top - pos
                vid = vids[base + pos * VID:base + (pos + 1) * VID] if versioned else "null"
                if pos == 0:
                    size = sizes[i]
                    if size < 0:
                        app(f"<DeleteMarker>{OWNER}<Key>{kn}</Key><VersionId>{vid}</VersionId><IsLatest>true</IsLatest>"
                            f"<LastModified>{iso(mtimes[i])}</LastModified></DeleteMarker>")
                    else:
                        o = i * STAMP
                        app(f"<Version><Key>{kn}</Key><VersionId>{vid}</VersionId><IsLatest>true</IsLatest><LastModified>"
                            f"{stamps[o:o + 24]}</LastModified><ETag>&quot;{stamps[o + 24:o + STAMP]}&quot;</ETag><Size>{size}"
                            f"</Size>{OWNER}<StorageClass>STANDARD</StorageClass></Version>")
                else:
                    word = content(h, gen)
                    t = mtime_of(h, gen, word)
                    if gen == 1 and middle:
                        app(f"<DeleteMarker>{OWNER}<Key>{kn}</Key><VersionId>{vid}</VersionId><IsLatest>false</IsLatest>"
                            f"<LastModified>{iso(t)}</LastModified></DeleteMarker>")
                    else:
                        app(f"<Version><Key>{kn}</Key><VersionId>{vid}</VersionId><IsLatest>false</IsLatest>"
                            f"<LastModified>{iso(t)}</LastModified><ETag>&quot;{etag_of(word)}&quot;</ETag><Size>"
                            f"{size_of(word)}</Size>{OWNER}<StorageClass>STANDARD</StorageClass></Version>")
                taken += 1
            return taken, ("V", k, vid, False)

        prefixes, last, truncated, used = self.scan(lo, hi, key_marker or None, emit, self.max_keys, not b.versioned)
        head = [f'{XML_HEAD}<ListVersionsResult xmlns="{NS}"><Name>{b.name}</Name><Prefix>{self.enc(self.prefix)}</Prefix>'
                f"<KeyMarker>{self.enc(key_marker)}</KeyMarker><VersionIdMarker>{xml_escape(vid_marker or '')}</VersionIdMarker>"]
        if truncated:
            if last[0] == "P":
                head.append(f"<NextKeyMarker>{self.enc(last[1])}</NextKeyMarker>")
            else:
                head.append(f"<NextKeyMarker>{self.enc(last[1])}</NextKeyMarker><NextVersionIdMarker>{last[2]}</NextVersionIdMarker>")
        head.append(f"<MaxKeys>{self.max_keys}</MaxKeys>")
        if self.delimiter:
            head.append(f"<Delimiter>{self.enc(self.delimiter)}</Delimiter>")
        if self.url:
            head.append("<EncodingType>url</EncodingType>")
        head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        return "".join(head) + "".join(out) + self.common_prefixes(prefixes) + "</ListVersionsResult>", used


def encode_token(kind, value, *_):
    return base64.b64encode(b"lst1" + kind.encode() + value.encode("utf-8")).decode()


def decode_token(token):
    try:
        raw = base64.b64decode(token, validate=True)
        if raw[:4] == b"lst1" and raw[4:5] in (b"K", b"P"):
            return raw[4:5].decode(), raw[5:].decode("utf-8")
    except ValueError:
        pass
    raise ListingError(400, "InvalidArgument", "The continuation token provided is incorrect")


# --- HTTP ---------------------------------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests, self.pages_by_bucket, self.access_keys = {}, {}, {}
        self.pages = self.entries = self.bytes_sent = self.unsigned = 0
        self.max_concurrent = 0
        self.list_cpu = 0.0
        self.cpu0 = sum(os.times()[:2])
        self.since = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def snapshot(self, in_flight, latency_ms):
        return {
            "Requests": dict(self.requests), "Pages": self.pages, "PagesByBucket": dict(self.pages_by_bucket),
            "Entries": self.entries, "BytesSent": self.bytes_sent, "MaxConcurrent": self.max_concurrent,
            "InFlight": in_flight, "Unsigned": self.unsigned, "AccessKeys": dict(self.access_keys),
            "ListCpuSeconds": round(self.list_cpu, 4),
            "CpuMsPerPage": round(1000 * self.list_cpu / self.pages, 4) if self.pages else None,
            "ProcessCpuSeconds": round(sum(os.times()[:2]) - self.cpu0, 3), "LatencyMs": latency_ms, "Since": self.since,
        }


ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)|AWS ([^:\s]+):")
# Query parameters that only sign a request, and those a listing takes; whatever else a bucket request carries names
# what it asks for (?location, ?versions, ?list-type, ...).
SIGNING_PARAMETERS = {"x-id", "AWSAccessKeyId", "Signature", "Expires"}
LIST_PARAMETERS = {"prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token", "start-after",
                   "fetch-owner", "key-marker", "version-id-marker"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    sys_version = ""
    world: World = None
    stats: Stats = None
    latency = 0.0
    domains = ("localhost",)
    in_flight = 0
    counter = 0
    log = None

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # One write per answer: status line, headers and body together.
    def send(self, status, body=b"", headers=(), content_type="application/xml", length=None):
        cls = Handler
        with self.stats.lock:
            cls.counter += 1
            request_id = f"{cls.counter:016X}"
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                 f"x-amz-request-id: {request_id}", f"x-amz-id-2: standin/{request_id}",
                 f"Date: {formatdate(usegmt=True)}", "Server: AmazonS3"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        lines.extend(f"{name}: {value}" for name, value in headers)
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += body
        if self.wait_until:
            delay = self.wait_until - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self.wfile.write(data)
        self.status = status
        return len(data)

    def error(self, status, code, message, extra="", headers=()):
        body = (f"{XML_HEAD}<Error><Code>{code}</Code><Message>{xml_escape(message)}</Message>{extra}"
                f"<RequestId>standin</RequestId><HostId>standin</HostId></Error>").encode()
        return self.send(status, body, headers=headers)

    def do_GET(self):
        self.handle_s3()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.close_connection = True      # not worth reading: answer and hang up
            return b""
        return self.rfile.read(length) if length else b""

    def handle_s3(self):
        arrived = time.monotonic()
        path, _, raw_query = self.path.partition("?")
        self.wait_until = None
        if path.startswith("/_standin/"):
            return self.control(path, raw_query)
        cpu = time.thread_time()
        stats = self.stats
        with stats.lock:
            Handler.in_flight += 1
            if Handler.in_flight > stats.max_concurrent:
                stats.max_concurrent = Handler.in_flight
        self.op, self.bucket_name, self.status, sent, entries, access_key = "Unknown", None, 0, 0, -1, None
        try:
            self.wait_until = arrived + Handler.latency
            body = self.read_body() if self.command in ("PUT", "POST") else b""
            query = {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
            access_key = self.access_key(query)
            if access_key is None:
                self.op = "Unsigned"
                sent = self.error(403, "AccessDenied", "Access Denied: the request carries neither an Authorization header nor a presigned query")
                return
            with stats.lock:
                stats.access_keys[access_key] = stats.access_keys.get(access_key, 0) + 1
            self.bucket_name, key = self.address(path)
            try:
                sent, entries = self.dispatch(self.bucket_name, key, query, body)
            except ListingError as e:
                sent = self.error(e.status, e.code, e.message)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            # A bug of the stand-in: say so in the answer (and on stderr) rather than drop the connection.
            traceback.print_exc()
            self.op, self.close_connection = "InternalError", True
            if not self.status:
                sent = self.error(500, "InternalError", "The stand-in failed; see its stderr")
        finally:
            spent = time.thread_time() - cpu
            if Handler.log:
                line = (f"{datetime.now(timezone.utc).isoformat(timespec='milliseconds')} {self.command} {self.path} "
                        f"host={self.headers.get('Host')} key={access_key} op={self.op} status={self.status} bytes={sent} "
                        f"cpu_ms={spent * 1000:.2f}\n")
                with stats.lock:
                    Handler.log.write(line)
            with stats.lock:
                Handler.in_flight -= 1
                stats.requests[self.op] = stats.requests.get(self.op, 0) + 1
                stats.bytes_sent += sent
                if self.op == "Unsigned":
                    stats.unsigned += 1
                if entries >= 0:
                    stats.pages += 1
                    stats.entries += entries
                    stats.list_cpu += spent
                    stats.pages_by_bucket[self.bucket_name] = stats.pages_by_bucket.get(self.bucket_name, 0) + 1

    def access_key(self, query):
        """The access key id the request is signed with (not verified), or None when it is not signed at all."""
        authorization = self.headers.get("Authorization")
        if authorization:
            found = ACCESS_KEY.search(authorization)
            return (found.group(1) or found.group(2)) if found else "?"
        if query.get("X-Amz-Signature") and query.get("X-Amz-Credential"):
            return query["X-Amz-Credential"].split("/")[0]
        if query.get("Signature") and query.get("AWSAccessKeyId"):
            return query["AWSAccessKeyId"]
        return None

    def address(self, path):
        """(bucket, key) from a virtual-host style Host (<bucket>.localhost) or a path-style path; None for absent."""
        host = self.headers.get("Host") or ""
        if not host.startswith("["):
            host = host.rsplit(":", 1)[0].lower()
            for domain in self.domains:
                if host.endswith("." + domain):
                    return host[:-len(domain) - 1], (unquote(path[1:]) if len(path) > 1 else None)
        rest = path[1:]
        if not rest:
            return None, None
        bucket, slash, key = rest.partition("/")
        return unquote(bucket), (unquote(key) if slash else None)

    def dispatch(self, bucket_name, key, query, body):
        """Answers one S3 request: (bytes sent, listed entries or -1); sets self.op."""
        method = self.command
        params = {q for q in query if q not in SIGNING_PARAMETERS and not q.startswith("X-Amz-")}
        if bucket_name is None:
            if method == "GET" and not params:
                self.op = "ListBuckets"
                buckets = "".join(f"<Bucket><Name>{n}</Name><CreationDate>2024-09-25T00:00:00.000Z</CreationDate></Bucket>"
                                  for n in sorted(self.world.buckets))
                body = f'{XML_HEAD}<ListAllMyBucketsResult xmlns="{NS}">{OWNER}<Buckets>{buckets}</Buckets></ListAllMyBucketsResult>'
                return self.send(200, body.encode()), -1
            self.op = "NotImplemented"
            return self.error(501, "NotImplemented", f"{method} / is not implemented by this stand-in"), -1
        b = self.world.buckets.get(bucket_name)
        if b is None:
            self.op = "NoSuchBucket"
            return self.error(404, "NoSuchBucket", "The specified bucket does not exist",
                              f"<BucketName>{xml_escape(bucket_name)}</BucketName>"), -1
        if not key:
            return self.bucket_request(b, query, params - LIST_PARAMETERS)
        if method in ("GET", "HEAD") and not {p for p in params if p not in ("versionId", "partNumber") and not p.startswith("response-")}:
            return self.object_request(b, key, query)
        self.op = "NotImplemented"
        what = f"{method} ?{'&'.join(sorted(params))}" if params else method
        return self.error(501, "NotImplemented", f"{what} on an object is not implemented by this stand-in"), -1

    def bucket_request(self, b, query, subresources):
        method = self.command
        if method == "HEAD" and not subresources:
            self.op = "HeadBucket"
            return self.send(200, headers=[("x-amz-bucket-region", self.world.region)], content_type=None), -1
        if method == "GET":
            if not subresources or subresources == {"list-type"}:
                self.op = "ListObjectsV2" if subresources else "ListObjects"
                lister = Lister(self.world, b, query)
                if subresources:
                    if query["list-type"] != "2":
                        raise ListingError(400, "InvalidArgument", "Invalid List Type specified in Request")
                    text, used = lister.list_v2()
                else:
                    text, used = lister.list_v1()
                return self.send(200, text.encode()), used
            if subresources == {"versions"}:
                self.op = "ListObjectVersions"
                text, used = Lister(self.world, b, query).list_versions()
                return self.send(200, text.encode()), used
            if subresources == {"location"}:
                self.op = "GetBucketLocation"
                region = "" if self.world.region == "us-east-1" else self.world.region
                body = f'{XML_HEAD}<LocationConstraint xmlns="{NS}">{region}</LocationConstraint>'
                return self.send(200, body.encode()), -1
            if subresources == {"versioning"}:
                self.op = "GetBucketVersioning"
                status = "<Status>Enabled</Status>" if b.versioned else ""
                body = f'{XML_HEAD}<VersioningConfiguration xmlns="{NS}">{status}</VersioningConfiguration>'
                return self.send(200, body.encode()), -1
            if subresources == {"replication"}:
                self.op = "GetBucketReplication"
                return self.error(404, "ReplicationConfigurationNotFoundError", "The replication configuration was not found",
                                  f"<BucketName>{b.name}</BucketName>"), -1
            if subresources == {"ownershipControls"}:
                self.op = "GetBucketOwnershipControls"
                return self.error(404, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found",
                                  f"<BucketName>{b.name}</BucketName>"), -1
        self.op = "NotImplemented"
        what = f"{method} ?{'&'.join(sorted(subresources))}" if subresources else method
        return self.error(501, "NotImplemented", f"{what} on a bucket is not implemented by this stand-in"), -1

    def object_request(self, b, key, query):
        self.op = "HeadObject" if self.command == "HEAD" else "GetObject"
        at = bisect.bisect_left(b.keys, key)
        entries = b.stack(at) if at < len(b.keys) and b.keys[at] == key else []
        vid = query.get("versionId")
        if vid is not None:
            entry = next((e for e in entries if e[1] == vid), None)
            if entry is None:
                return self.error(404, "NoSuchVersion", "The specified version does not exist.",
                                  f"<Key>{xml_escape(key)}</Key><VersionId>{xml_escape(vid)}</VersionId>"), -1
            if entry[0]:
                return self.error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                                  f"<Method>{self.command}</Method><ResourceType>DeleteMarker</ResourceType>",
                                  headers=[("x-amz-delete-marker", "true"), ("x-amz-version-id", vid)]), -1
        else:
            entry = entries[0] if entries else None
            if entry is None or entry[0]:
                headers = [("x-amz-delete-marker", "true"), ("x-amz-version-id", entry[1])] if entry else []
                return self.error(404, "NoSuchKey", "The specified key does not exist.", f"<Key>{xml_escape(key)}</Key>",
                                  headers=headers), -1
        _, version, _, word, size, t = entry
        headers = [("ETag", f'"{etag_of(word)}"'), ("Last-Modified", http_date(t)), ("Accept-Ranges", "bytes")]
        if b.versioned:
            headers.append(("x-amz-version-id", version))
        first, last, status = 0, size - 1, 200
        ranged = self.headers.get("Range")
        if ranged and ranged.startswith("bytes=") and "," not in ranged:
            start, _, end = ranged[6:].strip().partition("-")
            try:
                if start == "":
                    first = max(0, size - int(end))
                else:
                    first = int(start)
                    last = min(size - 1, int(end)) if end else size - 1
            except ValueError:
                first, last = 0, size - 1
            else:
                if first >= size or first > last:
                    return self.error(416, "InvalidRange", "The requested range is not satisfiable",
                                      f"<RangeRequested>{xml_escape(ranged)}</RangeRequested><ActualObjectSize>{size}</ActualObjectSize>"), -1
                status = 206
                headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        sent = self.send(status, b"", headers=headers, content_type="application/octet-stream", length=last - first + 1)
        if self.command == "GET":
            # Deterministic bytes: one 64 KiB block per version, repeated.
            block = random.Random(word).randbytes(65536)
            pos = first
            while pos <= last:
                offset = pos % 65536
                chunk = block[offset:offset + min(65536 - offset, last - pos + 1)]
                self.wfile.write(chunk)
                pos += len(chunk)
                sent += len(chunk)
        return sent, -1

    # --- control ---
    def control(self, path, raw_query):
        query = {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        body = self.read_body() if self.command in ("PUT", "POST") else b""
        stats = self.stats
        if path == "/_standin/expected" and self.command == "GET":
            try:
                data = self.world.expected(query["backup"], query["source"])
            except KeyError as e:
                return self.send(404, json.dumps({"error": f"no bucket {e}"}).encode(), content_type="application/json")
            return self.send(200, data, content_type="application/json")
        if path == "/_standin/stats" and self.command == "GET":
            with stats.lock:
                data = stats.snapshot(Handler.in_flight, int(Handler.latency * 1000))
            return self.send(200, json.dumps(data).encode(), content_type="application/json")
        if path == "/_standin/reset-stats" and self.command == "POST":
            with stats.lock:
                data = stats.snapshot(Handler.in_flight, int(Handler.latency * 1000))
                stats.reset()
            return self.send(200, json.dumps(data).encode(), content_type="application/json")
        if path == "/_standin/latency":
            if self.command == "POST":
                Handler.latency = max(0.0, float(json.loads(body or b"{}").get("ms", 0)) / 1000)
            return self.send(200, json.dumps({"ms": Handler.latency * 1000}).encode(), content_type="application/json")
        if path == "/_standin/buckets" and self.command == "GET":
            data = [{"Name": b.name, "Keys": b.current, "Entries": len(b.keys), "Versioned": b.versioned, "Shape": b.shape,
                     "Like": b.like, "Differences": b.differences} for b in self.world.buckets.values()]
            return self.send(200, json.dumps(data).encode(), content_type="application/json")
        return self.send(404, json.dumps({"error": f"no control endpoint {self.command} {path}"}).encode(), content_type="application/json")


# --- command line ---------------------------------------------------------------------------------------------------------

def parse_bucket(text, defaults):
    name, _, rest = text.partition("=")
    parts = rest.split(",")
    spec = {"name": name, "keys": int(parts[0]), "versioned": defaults["versioned"], "shape": defaults["shape"],
            "max_versions": defaults["max_versions"]}
    for option in parts[1:]:
        option = option.strip()
        if option in ("versioned", "unversioned"):
            spec["versioned"] = option == "versioned"
        elif option in ("hierarchy", "flat"):
            spec["shape"] = option
        elif option == "new":
            spec["new"] = True
        elif "=" in option:
            k, v = option.split("=", 1)
            if k == "like":
                spec["like"] = v
            elif k in ("differences", "deleted", "max_versions"):
                spec[k] = int(v)
            else:
                raise SystemExit(f"--bucket {text}: unknown option {option}")
        else:
            raise SystemExit(f"--bucket {text}: unknown option {option}")
    return spec


def load_config(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-file", required=True, help="where to write the port, once serving")
    parser.add_argument("--bucket", action="append", default=[], metavar="NAME=COUNT[,option...]",
                        help="a bucket: versioned|unversioned, hierarchy|flat, like=OTHER, new, differences=N, deleted=N")
    parser.add_argument("--spec", help='a JSON file: {"seed", "latency_ms", "shape", "versioned", "max_versions", '
                                       '"differences", "deleted", "region", "buckets": [{"name", "keys", ...options}]}')
    parser.add_argument("--seed", type=int)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--differences", type=int, help="for each derived bucket (default 0)")
    parser.add_argument("--deleted", type=int, help="keys only under a delete marker, per versioned family (default 0.5%%)")
    parser.add_argument("--shape", choices=("hierarchy", "flat"))
    parser.add_argument("--versioned", action="store_true", default=None, help="buckets are versioned unless they say otherwise")
    parser.add_argument("--max-versions", type=int, help="a key has 1..N versions in a versioned bucket (default 3)")
    parser.add_argument("--region")
    parser.add_argument("--domain", action="append", default=[], help="virtual-host style under this domain too (always: localhost)")
    parser.add_argument("--log", help="append a line per S3 request to this file (method, path, host, access key, operation, status)")
    args = parser.parse_args(argv)
    spec = {}
    if args.spec:
        with open(args.spec) as f:
            spec = json.load(f)
    config = {
        "seed": args.seed if args.seed is not None else spec.get("seed", 1),
        "latency_ms": args.latency_ms if args.latency_ms is not None else spec.get("latency_ms", 0),
        "region": args.region or spec.get("region", "us-east-1"),
    }
    defaults = {
        "versioned": args.versioned if args.versioned is not None else spec.get("versioned", False),
        "shape": args.shape or spec.get("shape", "hierarchy"),
        "max_versions": args.max_versions or spec.get("max_versions", 3),
    }
    differences = args.differences if args.differences is not None else spec.get("differences", 0)
    deleted = args.deleted if args.deleted is not None else spec.get("deleted")
    buckets = []
    for entry in spec.get("buckets", []):
        b = dict(defaults)
        b.update(entry)
        buckets.append(b)
    buckets += [parse_bucket(text, defaults) for text in args.bucket]
    if not buckets:
        parser.error("no buckets: give --bucket NAME=COUNT or a --spec with buckets")
    names = [b["name"] for b in buckets]
    if len(set(names)) != len(names):
        parser.error(f"bucket names repeat: {names}")
    for b in buckets:
        b.setdefault("differences", differences)
        if deleted is not None:
            b.setdefault("deleted", deleted)
        if b["max_versions"] < 1 or b["max_versions"] > 200:
            parser.error("max_versions must be 1..200")
    config["buckets"] = buckets
    config["domains"] = tuple(["localhost"] + args.domain + spec.get("domains", []))
    return args, config


def main():
    args, config = load_config()
    world = World(config)
    Handler.world, Handler.stats = world, Stats()
    Handler.latency = config["latency_ms"] / 1000
    Handler.domains = config["domains"]
    if args.log:
        Handler.log = open(args.log, "a", buffering=1, encoding="utf-8")
    # Up to 128 clients connect at once: keep every connection attempt (serve() builds a ThreadingHTTPServer).
    ThreadingHTTPServer.request_queue_size = 1024
    ThreadingHTTPServer.daemon_threads = True
    print(json.dumps({"build_seconds": round(world.build_seconds, 2),
                      "buckets": {b.name: b.current for b in world.buckets.values()}}), flush=True)
    serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
