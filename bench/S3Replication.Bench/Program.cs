using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Records;
using S3Replication.Transfer;

// Benchmark helpers run by bench/Invoke-Bench.ps1:
//   ceiling <endpoint> <access-key> <secret-key> <from-bucket> <to-bucket> <concurrency>
//     the server's ceiling for server-side copies: a minimal HttpClient + SigV4 CopyObject loop; prints the loop's
//     milliseconds and the process CPU milliseconds it used, separated by a space.
//   plan-memory <keys>
//     plans a compare of two synthetic listings of that many keys with the module's planner; prints peak memory growth.
return args.FirstOrDefault() switch
{
    "ceiling" => await Ceiling(args[1], args[2], args[3], args[4], args[5], int.Parse(args[6], CultureInfo.InvariantCulture)),
    "plan-memory" => await PlanMemory(int.Parse(args[1], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ceiling <endpoint> <access-key> <secret-key> <from> <to> <concurrency> | plan-memory <keys>");
    return 2;
}

static async Task<int> Ceiling(string endpoint, string accessKey, string secretKey, string from, string to, int concurrency)
{
    var credentials = new BasicAWSCredentials(accessKey, secretKey);
    var config = new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED };
    using var s3 = new AmazonS3Client(credentials, config);
    var keys = new List<string>();
    var request = new ListObjectsV2Request { BucketName = from };
    do
    {
        var page = await s3.ListObjectsV2Async(request);
        keys.AddRange((page.S3Objects ?? new List<S3Object>()).Select(item => item.Key));
        request.ContinuationToken = page.NextContinuationToken;
    }
    while (!string.IsNullOrEmpty(request.ContinuationToken));

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency });
    using var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    using var slots = new SemaphoreSlim(concurrency);
    var copies = keys.Select(async key =>
    {
        await slots.WaitAsync();
        try
        {
            var uri = new Uri($"{endpoint.TrimEnd('/')}/{to}/{Uri.EscapeDataString(key).Replace("%2F", "/")}");
            var signing = new AWSSigningRequest { HttpMethod = HttpMethod.Put, RequestUri = uri, Content = Array.Empty<byte>() };
            signing.Headers["Host"] = uri.Authority;
            signing.Headers["x-amz-copy-source"] = $"/{from}/{Uri.EscapeDataString(key).Replace("%2F", "/")}";
            var signed = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
            {
                Credentials = credentials, Region = Amazon.RegionEndpoint.USEast1, Service = "s3", SignedAt = DateTime.UtcNow,
            });
            using var message = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(Array.Empty<byte>()) };
            message.Headers.TryAddWithoutValidation("x-amz-copy-source", signing.Headers["x-amz-copy-source"]);
            foreach (var header in signed.Headers)
            {
                message.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            using var response = await http.SendAsync(message);
            response.EnsureSuccessStatusCode();
        }
        finally
        {
            slots.Release();
        }
    });
    await Task.WhenAll(copies);
    var elapsed = watch.Elapsed;
    process.Refresh();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalMilliseconds:F0} {(process.TotalProcessorTime - cpuBefore).TotalMilliseconds:F0}"));
    return 0;
}

static async Task<int> PlanMemory(int count)
{
    static async IAsyncEnumerable<S3ObjectRecord> Listing(string bucket, int count, int changedEvery)
    {
        for (var index = 0; index < count; index++)
        {
            if (index % 1024 == 0)
            {
                await Task.Yield();
            }
            yield return new S3ObjectRecord
            {
                Bucket = bucket,
                Key = $"imap/mag/l1a/{index / 100_000:D2}/{index:D8}/imap_mag_l1a_norm-mago_{index:D8}_v001.cdf",
                Size = 1024 + index % 7,
                ETag = changedEvery > 0 && index % changedEvery == 0 ? "\"changed\"" : "\"0123456789abcdef0123456789abcdef\"",
            };
        }
    }

    GC.Collect();
    GC.WaitForPendingFinalizers();
    var before = GC.GetTotalMemory(forceFullCollection: true);
    using var process = Process.GetCurrentProcess();
    var workingSetBefore = process.WorkingSet64;
    long peakManaged = 0, different = 0, planned = 0;
    // The compare's planning: the merge-join of both listings and the one decision per key, as Compare-S3BackupBucket
    // makes it (archive state not asked); by ETag, so no key needs a HEAD and nothing leaves the process.
    var policy = new DecisionPolicy(CompareMode.ETag) { CheckArchive = false };
    var watch = Stopwatch.StartNew();
    await foreach (var candidate in SyncPlanner.Join(Listing("backup", count, 0), Listing("source", count, 97)))
    {
        planned++;
        if (RestoreDecider.Decide(candidate, policy).StateOf(candidate) == PlanState.Different)
        {
            different++;
        }
        if (planned % 50_000 == 0)
        {
            peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false) - before);
        }
    }
    process.Refresh();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"keys={planned} different={different} seconds={watch.Elapsed.TotalSeconds:F1} peakManagedGrowthMB={peakManaged / 1e6:F1} peakWorkingSetGrowthMB={(process.PeakWorkingSet64 - workingSetBefore) / 1e6:F1}"));
    return 0;
}
