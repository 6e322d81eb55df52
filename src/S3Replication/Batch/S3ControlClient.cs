using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using S3Replication.Core;
using S3Replication.Session;

namespace S3Replication.Batch;

/// <summary>An error answer from S3 Control: its code, message and HTTP status.</summary>
internal sealed class S3ControlException : AwsApiException
{
    public S3ControlException(string code, string message, HttpStatusCode status, Exception? inner = null) : base(code, message, status, inner)
    {
    }
}

/// <summary>
/// The S3 Control calls of Batch Operations (AWSSDK.S3Control is not available here): REST-XML in the 2018-08-20
/// namespace, signed with AWSSDK.Core's public SigV4 signer under the signing name s3, at
/// <c>{account}.s3-control.{region}.amazonaws.com</c> with the <c>x-amz-account-id</c> header. Shapes follow botocore's
/// service model; each attempt is signed afresh and retried under the module's retry policy.
/// </summary>
internal sealed class S3ControlClient : IDisposable
{
    public const string Namespace = "http://awss3control.amazonaws.com/doc/2018-08-20/";
    private static readonly XNamespace Ns = Namespace;
    private readonly AWSCredentials _credentials;
    private readonly ClientSettings _settings;
    private readonly HttpClient _http;
    private readonly Func<DateTime> _clock;
    private readonly Core.RetryPolicy _retry;

    public S3ControlClient(AWSCredentials credentials, ClientSettings settings, HttpMessageHandler? handler = null,
        Func<DateTime>? clock = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _credentials = credentials;
        _settings = settings;
        _http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false }, disposeHandler: handler is null);
        _clock = clock ?? (() => DateTime.UtcNow);
        _retry = new Core.RetryPolicy(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), AwsApiException.Classify) { Delay = delay ?? Task.Delay };
    }

    /// <summary>
    /// The account's endpoint: the account id in front of the host (of AWS's, or of a configured endpoint), except
    /// where the configured host is an IP address or localhost, which cannot take a prefix.
    /// </summary>
    public Uri EndpointFor(string accountId)
    {
        if (_settings.EndpointUrl is { } configured)
        {
            var uri = new Uri(configured);
            if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || uri.Host == "localhost")
            {
                return uri;
            }
            return new UriBuilder(uri) { Host = accountId + "." + uri.Host }.Uri;
        }
        var suffix = AwsNames.PartitionOf(_settings.Region) == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{accountId}.s3-control.{_settings.Region}.{suffix}/");
    }

    public async Task<string> CreateJobAsync(string accountId, BatchJobRequest job, CancellationToken cancellationToken)
    {
        var body = new XElement(Ns + "CreateJobRequest",
            new XElement(Ns + "ConfirmationRequired", job.ConfirmationRequired ? "true" : "false"),
            new XElement(Ns + "Operation", OperationXml(job.Operation)),
            new XElement(Ns + "Report",
                new XElement(Ns + "Bucket", job.ReportBucketArn),
                new XElement(Ns + "Format", "Report_CSV_20180820"),
                new XElement(Ns + "Enabled", "true"),
                new XElement(Ns + "Prefix", job.ReportPrefix),
                new XElement(Ns + "ReportScope", job.ReportScope.ToString())),
            new XElement(Ns + "ClientRequestToken", job.ClientRequestToken),
            job.Manifest is { } manifest ? ManifestXml(manifest) : null,
            new XElement(Ns + "Description", job.Description),
            new XElement(Ns + "Priority", job.Priority.ToString(CultureInfo.InvariantCulture)),
            new XElement(Ns + "RoleArn", job.RoleArn),
            job.Generator is { } generator ? GeneratorXml(generator) : null);
        var response = await SendAsync(HttpMethod.Post, accountId, "/v20180820/jobs", null, body, cancellationToken).ConfigureAwait(false);
        return Text(response, "JobId") ?? throw new S3ControlException("UnexpectedResponse", "CreateJob answered without a JobId.", HttpStatusCode.OK);
    }

    /// <summary>The operation's members in the order of the service model (botocore serialises them so).</summary>
    private static XElement OperationXml(BatchOperation operation) => operation switch
    {
        BatchCopy copy => new XElement(Ns + "S3PutObjectCopy",
            new XElement(Ns + "TargetResource", copy.TargetBucketArn),
            copy.CannedAcl is { } acl ? new XElement(Ns + "CannedAccessControlList", acl) : null,
            new XElement(Ns + "MetadataDirective", "COPY"),
            copy.KmsKeyId is not null ? new XElement(Ns + "NewObjectMetadata", new XElement(Ns + "SSEAlgorithm", "KMS")) : null,
            copy.KmsKeyId is { } key ? new XElement(Ns + "SSEAwsKmsKeyId", key) : null,
            copy.ChecksumAlgorithm is { } algorithm ? new XElement(Ns + "ChecksumAlgorithm", algorithm) : null),
        BatchComputeChecksum compute => new XElement(Ns + "S3ComputeObjectChecksum",
            new XElement(Ns + "ChecksumAlgorithm", compute.Algorithm),
            new XElement(Ns + "ChecksumType", BatchComputeChecksum.FullObject)),
        BatchInitiateRestore restore => new XElement(Ns + "S3InitiateRestoreObject",
            new XElement(Ns + "ExpirationInDays", restore.Days.ToString(CultureInfo.InvariantCulture)),
            new XElement(Ns + "GlacierJobTier", restore.Tier)),
        _ => new XElement(Ns + "S3ReplicateObject"),
    };

    private static XElement ManifestXml(BatchManifestLocation manifest)
    {
        var location = new XElement(Ns + "Location", new XElement(Ns + "ObjectArn", manifest.ObjectArn));
        if (manifest.ObjectVersionId is { } version)
        {
            location.Add(new XElement(Ns + "ObjectVersionId", version));
        }
        location.Add(new XElement(Ns + "ETag", manifest.ETag));
        return new XElement(Ns + "Manifest",
            new XElement(Ns + "Spec",
                new XElement(Ns + "Format", "S3BatchOperations_CSV_20180820"),
                new XElement(Ns + "Fields", manifest.Fields.Select(field => new XElement(Ns + "member", field)))),
            location);
    }

    private static XElement GeneratorXml(BatchManifestGenerator generator)
    {
        static string Time(DateTime value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var filter = new XElement(Ns + "Filter", new XElement(Ns + "EligibleForReplication", "true"));
        if (generator.CreatedAfter is { } after)
        {
            filter.Add(new XElement(Ns + "CreatedAfter", Time(after)));
        }
        if (generator.CreatedBefore is { } before)
        {
            filter.Add(new XElement(Ns + "CreatedBefore", Time(before)));
        }
        if (generator.ReplicationStatuses.Count > 0)
        {
            filter.Add(new XElement(Ns + "ObjectReplicationStatuses", generator.ReplicationStatuses.Select(status => new XElement(Ns + "member", status))));
        }
        if (!string.IsNullOrEmpty(generator.Prefix))
        {
            filter.Add(new XElement(Ns + "KeyNameConstraint", new XElement(Ns + "MatchAnyPrefix", new XElement(Ns + "member", generator.Prefix))));
        }
        return new XElement(Ns + "ManifestGenerator", new XElement(Ns + "S3JobManifestGenerator",
            new XElement(Ns + "ExpectedBucketOwner", generator.ExpectedBucketOwner),
            new XElement(Ns + "SourceBucket", generator.SourceBucketArn),
            filter,
            new XElement(Ns + "EnableManifestOutput", "false")));
    }

    public async Task<BatchJob> DescribeJobAsync(string accountId, string jobId, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, accountId, "/v20180820/jobs/" + Uri.EscapeDataString(jobId), null, null, cancellationToken)
            .ConfigureAwait(false);
        var job = response.Element(Ns + "Job") ?? throw new S3ControlException("UnexpectedResponse", "DescribeJob answered without a Job.", HttpStatusCode.OK);
        return JobFrom(job);
    }

    /// <summary>Every job of the account with one of the statuses (all statuses when none are given), following NextToken.</summary>
    public async Task<IReadOnlyList<BatchJob>> ListJobsAsync(string accountId, IReadOnlyCollection<string> statuses, CancellationToken cancellationToken)
    {
        var jobs = new List<BatchJob>();
        string? next = null;
        do
        {
            var query = statuses.Select(status => ("jobStatuses", status)).ToList();
            query.Add(("maxResults", "1000"));
            if (next is not null)
            {
                query.Add(("nextToken", next));
            }
            var response = await SendAsync(HttpMethod.Get, accountId, "/v20180820/jobs", query, null, cancellationToken).ConfigureAwait(false);
            jobs.AddRange((response.Element(Ns + "Jobs")?.Elements(Ns + "member") ?? Enumerable.Empty<XElement>()).Select(JobFrom));
            next = Text(response, "NextToken");
        }
        while (!string.IsNullOrEmpty(next));
        return jobs;
    }

    public async Task<string> UpdateJobStatusAsync(string accountId, string jobId, string requestedStatus, string? reason, CancellationToken cancellationToken)
    {
        var query = new List<(string, string)> { ("requestedJobStatus", requestedStatus) };
        if (reason is not null)
        {
            query.Add(("statusUpdateReason", reason));
        }
        var response = await SendAsync(HttpMethod.Post, accountId, $"/v20180820/jobs/{Uri.EscapeDataString(jobId)}/status", query, null, cancellationToken)
            .ConfigureAwait(false);
        return Text(response, "Status") ?? requestedStatus;
    }

    public Task UpdateJobPriorityAsync(string accountId, string jobId, int priority, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, accountId, $"/v20180820/jobs/{Uri.EscapeDataString(jobId)}/priority",
            new[] { ("priority", priority.ToString(CultureInfo.InvariantCulture)) }, null, cancellationToken);

    private static BatchJob JobFrom(XElement job)
    {
        long? Number(XElement? parent, string name) =>
            long.TryParse(parent?.Element(Ns + name)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
        DateTime? Time(string name) =>
            DateTime.TryParse(job.Element(Ns + name)?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value)
                ? value : null;
        var progress = job.Element(Ns + "ProgressSummary");
        var report = job.Element(Ns + "Report");
        return new BatchJob(
            Text(job, "JobId") ?? "",
            Text(job, "Status") ?? "",
            job.Element(Ns + "Operation")?.Elements().FirstOrDefault()?.Name.LocalName ?? Text(job, "Operation"),
            (int?)Number(job, "Priority"),
            Text(job, "Description"),
            Number(progress, "TotalNumberOfTasks"),
            Number(progress, "NumberOfTasksSucceeded"),
            Number(progress, "NumberOfTasksFailed"),
            Number(progress?.Element(Ns + "Timers"), "ElapsedTimeInActiveSeconds"),
            Time("CreationTime"),
            Time("TerminationDate"),
            job.Element(Ns + "Manifest")?.Element(Ns + "Location")?.Element(Ns + "ObjectArn")?.Value,
            report?.Element(Ns + "Bucket")?.Value,
            report?.Element(Ns + "Prefix")?.Value,
            Text(job, "RoleArn"),
            (job.Element(Ns + "FailureReasons")?.Elements(Ns + "member") ?? Enumerable.Empty<XElement>())
                .Select(reason => $"{reason.Element(Ns + "FailureCode")?.Value}: {reason.Element(Ns + "FailureReason")?.Value}").ToList());
    }

    private static string? Text(XElement parent, string name) => parent.Element(Ns + name)?.Value;

    private async Task<XElement> SendAsync(HttpMethod method, string accountId, string path, IReadOnlyList<(string Name, string Value)>? query, XElement? body,
        CancellationToken cancellationToken)
    {
        var endpoint = EndpointFor(accountId);
        var uri = new UriBuilder(endpoint)
        {
            Path = endpoint.AbsolutePath.TrimEnd('/') + path,
            Query = query is null ? "" : string.Join("&", query.Select(pair => $"{Uri.EscapeDataString(pair.Name)}={Uri.EscapeDataString(pair.Value)}")),
        }.Uri;
        var bytes = body is null ? null : Encoding.UTF8.GetBytes(body.ToString(SaveOptions.DisableFormatting));
        try
        {
            return await _retry.RunAsync(async token =>
            {
                using var request = await SignedAsync(method, uri, accountId, bytes, token).ConfigureAwait(false);
                using var response = await _http.SendAsync(request, token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw ErrorFrom(text, response.StatusCode);
                }
                return text.Length == 0 ? new XElement(Ns + "Empty") : XDocument.Parse(text).Root!;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException error)
        {
            throw new S3ControlException("ConnectionFailed", $"Could not reach S3 Control at {endpoint}: {error.Message}", 0, error);
        }
    }

    private Task<HttpRequestMessage> SignedAsync(HttpMethod method, Uri uri, string accountId, byte[]? body, CancellationToken cancellationToken) =>
        SignedRequest.CreateAsync(method, uri, new Dictionary<string, string> { ["x-amz-account-id"] = accountId }, body is null ? null : "application/xml",
            body, _credentials, _settings.Region, "s3", _clock(), cancellationToken);

    /// <summary>S3 Control answers errors as <c>&lt;ErrorResponse&gt;&lt;Error&gt;</c> or as a bare <c>&lt;Error&gt;</c>; both are read.</summary>
    internal static S3ControlException ErrorFrom(string text, HttpStatusCode status)
    {
        var (code, message) = AwsApiException.Parse(text, status);
        return new S3ControlException(code, message, status);
    }

    public void Dispose() => _http.Dispose();
}
