#!/usr/bin/env python3
"""Attributes the CPU samples of `perf record -g` on a pwsh running a restore to what they were spent on.

Usage: perf_attribution.py <perf.data> <perf-PID.map>   (prints JSON)

The runtime writes /tmp/perf-PID.map (DOTNET_PerfMapEnabled=1) naming every jitted method with its tier; with
DOTNET_EnableWriteXorExecute=0 perf resolves jitted frames through it. Each sample counts once, for the innermost frame
that belongs to a known part: the JIT's background thread is its own part; frames of System.Private.CoreLib and native
frames are skipped, so async plumbing counts for whoever resumed.
"""
import collections
import json
import re
import subprocess
import sys

TIERS = r'\[(QuickJitted|OptimizedTier1|OptimizedTier1OSR|InstrumentedTier|InstrumentedTierOptimized|Optimized|PreJIT)\]'

# Innermost match wins; the order only matters for frames that match two parts.
PARTS = [
    ('GC', r'gc_heap|GCHeap|WKS::|SVR::|GarbageCollect'),
    ('HTTP: HttpClient and sockets', r'\[System\.Net\.(Http|Sockets|Primitives)\]'),
    ('SDK: signing (AWS4Signer)', r'\[AWSSDK\.Core\].*(Signer|AWS4|SigV4)'),
    ('SDK: endpoint resolution', r'\[AWSSDK\.(Core|S3)\].*(EndpointResolver|EndpointProvider|Amazon\.Runtime\.Endpoints|Amazon\.S3\.Endpoints)'),
    ('SDK: marshalling', r'\[AWSSDK\.(Core|S3)\].*(RequestMarshaller|Marshaller::Marshall)'),
    ('SDK: response parsing (unmarshallers, XML)', r'\[AWSSDK\.(Core|S3)\].*Unmarshall|\[System\.Private\.Xml\]'),
    ('SDK: retry handler', r'\[AWSSDK\.Core\].*(Internal\.RetryHandler|StandardRetryPolicy|AdaptiveRetryPolicy)'),
    ('SDK: other pipeline stages', r'\[AWSSDK\.(Core|S3)\]'),
    ('ours: lean S3 path', r'\[S3Replication\].*(LeanS3Client|S3ResponseData|S3ErrorDocument)'),
    ('ours: pacing handler', r'\[S3Replication\].*RequestPacer'),
    ('ours: adaptive limiter', r'\[S3Replication\].*AdaptiveConcurrency'),
    ('ours: tally and progress', r'\[S3Replication\].*(\.Tally|Progress)'),
    ('ours: write queue (pipeline thread)', r'\[S3Replication\].*(AsyncPSCmdlet|PipelineQueue)'),
    ('ours: decisions, records, retry policy, item runner', r'\[S3Replication\]'),
    ('PowerShell engine', r'\[System\.Management\.Automation\]|\[Microsoft\.PowerShell'),
]


def main():
    data, perf_map = sys.argv[1], sys.argv[2]
    text = subprocess.run(['perf', 'script', '-i', data, '--symfs=/', '-F', 'comm,tid,time,ip,sym,dso'],
                          capture_output=True, text=True, check=True).stdout
    samples, current = [], None
    for line in text.splitlines():
        if not line.strip():
            if current is not None:
                samples.append(current)
            current = None
            continue
        if not line.startswith((' ', '\t')):
            header = re.match(r'^(.*?)\s+\d+\s+[\d.]+:', line)
            current = {'thread': (header.group(1) if header else line[:15]).strip(), 'frames': []}
            continue
        if current is not None:
            current['frames'].append(line.strip())
    if current is not None:
        samples.append(current)

    total = len(samples)
    threads = collections.Counter(sample['thread'] for sample in samples)
    parts = collections.Counter()
    ours = collections.Counter()
    for sample in samples:
        if sample['thread'].startswith('.NET Tiered'):
            parts['JIT: tiered compilation (background thread)'] += 1
            continue
        found = None
        for frame in sample['frames']:
            for name, pattern in PARTS:
                if re.search(pattern, frame):
                    found = name
                    break
            if found:
                if found.startswith('ours'):
                    method = re.sub(TIERS, '', re.sub(r'(\+0x[0-9a-f]+)? \(.*\)$', '', frame.split(' ', 1)[-1]))
                    ours[method[:150]] += 1
                break
        parts[found or 'runtime and kernel only (thread pool, scheduler, waits)'] += 1

    tiers = collections.Counter()
    with open(perf_map, encoding='utf-8', errors='replace') as lines:
        for line in lines:
            match = re.search(r'\[([\w\.]+)\] .*' + TIERS + r'$', line.strip())
            if match and match.group(2) in ('OptimizedTier1', 'InstrumentedTier', 'InstrumentedTierOptimized'):
                tiers[match.group(1)] += 1
    json.dump({
        'samples': total,
        'threads': [[name, count] for name, count in threads.most_common()],
        'parts': [[name, count] for name, count in parts.most_common()],
        'ourMethods': [[name, count] for name, count in ours.most_common(12)],
        'rejittedByAssembly': [[name, count] for name, count in tiers.most_common(10)],
    }, sys.stdout, indent=1)


if __name__ == '__main__':
    main()
