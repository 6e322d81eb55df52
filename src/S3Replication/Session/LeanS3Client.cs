using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Endpoints;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using Amazon.Runtime.Internal.Transform;
using Amazon.Runtime.Internal.Util;
using Amazon.S3;
using Amazon.S3.Endpoints;
using Amazon.S3.Internal;
using Amazon.S3.Model;
using Amazon.S3.Model.Internal.MarshallTransformations;

namespace S3Replication.Session;

/// <summary>
/// The session's S3 client. Every request goes through AWSSDK.S3's pipeline except the two a restore makes per object,
/// HeadObject and CopyObject, which go by one lean path: the SDK's own marshaller, SigV4 signer (AWSSDK.Core's
/// AWS4Signer, as for IAM and S3 Control) and unmarshallers, with the bucket's endpoint resolved once per session instead of
/// per request, sent on the session's pooled HttpClient (and so under the run's pacing). Profiling a 20,000-object
/// restore put a fifth of the client's samples in the SDK's per-request pipeline (twenty nested async handlers, the
/// endpoint rules evaluated anew each time), and much of the JIT's work in compiling it (bench/PROFILE.md). The lean path
/// makes one attempt (but for a region redirect and a clock found off, each sent again once): its callers retry it under
/// the module's retry policy. Buckets whose endpoint needs another signing scheme or name than SigV4 for s3 (S3 Express
/// directory buckets, multi-region access points, Object Lambda) go through the SDK's pipeline.
/// </summary>
internal sealed class LeanS3Client : AmazonS3Client
{
    private static readonly string UserAgent =
        $"S3Replication/{typeof(LeanS3Client).Assembly.GetName().Version} {typeof(AmazonS3Client).Assembly.GetName().Name}/{typeof(AmazonS3Client).Assembly.GetCustomAttribute<AssemblyFileVersionAttribute>()?.Version} lean-path";

    /// <summary>
    /// AWSSDK.Core's record of each endpoint's clock skew, which the SDK's pipeline feeds from every answer's Date header
    /// (its ClockSkewPipelineHelper, internal): the signer dates a request by the skew recorded for its endpoint, so on a
    /// host whose clock is off requests are signed at S3's time from the second on, as by the SDK's pipeline, instead of
    /// failing RequestTimeTooSkewed attempt after attempt. Null should a later SDK move it (LeanS3ClientTests find it).
    /// </summary>
    private static readonly Func<IClientConfig, DateTime?>? CaptureSendTime = ClockSkewHelper<Func<IClientConfig, DateTime?>>("CaptureSendTime");

    private static readonly Action<IExecutionContext, DateTime?, IWebResponseData>? RecordClockSkew =
        ClockSkewHelper<Action<IExecutionContext, DateTime?, IWebResponseData>>("RecordFromResponse");

    private readonly AWSCredentials _credentials;
    private readonly AmazonS3Config _config;
    private readonly Lazy<HttpClient> _http;
    private readonly AmazonS3EndpointProvider _endpointProvider = new();

    /// <summary>Each bucket's endpoint (null: not signed with SigV4), and a region S3 redirected it to.</summary>
    private readonly ConcurrentDictionary<string, BucketEndpoint?> _endpoints = new(StringComparer.Ordinal);

    public LeanS3Client(AWSCredentials credentials, AmazonS3Config config) : base(credentials, config)
    {
        _credentials = credentials;
        _config = config;
        _http = new Lazy<HttpClient>(() => (config.HttpClientFactory
            ?? throw new InvalidOperationException("The S3 client of a session is built with its HTTP client factory.")).CreateHttpClient(config));
    }

    /// <summary>Where a bucket's requests go: the URL the endpoint rules give (its path, where path-style), and the region signed for.</summary>
    private sealed record BucketEndpoint(Uri Authority, string PathPrefix, string SigningRegion);

    // The SDK's overloads that take names build the request and call these two, so they take the lean path too.

    public override Task<GetObjectMetadataResponse> GetObjectMetadataAsync(GetObjectMetadataRequest request, CancellationToken cancellationToken = default) =>
        EndpointOf(request.BucketName) is { } endpoint
            ? SendAsync<GetObjectMetadataResponse>(request, request.BucketName, endpoint, () => GetObjectMetadataRequestMarshaller.Instance.Marshall(request),
                GetObjectMetadataResponseUnmarshaller.Instance, cancellationToken)
            : base.GetObjectMetadataAsync(request, cancellationToken);

    public override Task<CopyObjectResponse> CopyObjectAsync(CopyObjectRequest request, CancellationToken cancellationToken = default) =>
        EndpointOf(request.DestinationBucket) is { } endpoint
            ? SendAsync<CopyObjectResponse>(request, request.DestinationBucket, endpoint, () => CopyObjectRequestMarshaller.Instance.Marshall(request),
                CopyObjectResponseUnmarshaller.Instance, cancellationToken)
            : base.CopyObjectAsync(request, cancellationToken);

    /// <summary>The bucket's endpoint by the SDK's own endpoint rules, resolved once (null where it is not signed with SigV4).</summary>
    private BucketEndpoint? EndpointOf(string bucket) => _endpoints.GetOrAdd(bucket, name => Resolve(name, SessionRegion));

    /// <summary>The session's region: with an endpoint URL configured the SDK keeps it as the authentication region only.</summary>
    private string SessionRegion => _config.RegionEndpoint?.SystemName ?? _config.AuthenticationRegion ?? ClientSettingsResolver.FallbackRegion;

    private BucketEndpoint? Resolve(string bucket, string region)
    {
        var endpoint = _endpointProvider.ResolveEndpoint(new S3EndpointParameters
        {
            Bucket = bucket,
            Region = region,
            Endpoint = string.IsNullOrEmpty(_config.ServiceURL) ? null : _config.ServiceURL,
            ForcePathStyle = _config.ForcePathStyle,
            UseFIPS = _config.UseFIPSEndpoint,
            UseDualStack = _config.UseDualstackEndpoint,
            Accelerate = _config.UseAccelerateEndpoint,
            UseArnRegion = _config.UseArnRegion,
            DisableMultiRegionAccessPoints = _config.DisableMultiregionAccessPoints,
        });
        var signingRegion = region;
        if (endpoint.Attributes?["authSchemes"] is IList<object> { Count: > 0 } schemes && schemes[0] is IPropertyBag scheme)
        {
            if (scheme["name"] as string != "sigv4" || (scheme["signingName"] as string ?? "s3") != "s3")
            {
                return null;
            }
            signingRegion = scheme["signingRegion"] as string ?? signingRegion;
        }
        var url = new Uri(endpoint.URL);
        return new BucketEndpoint(new Uri(url.GetLeftPart(UriPartial.Authority)), url.AbsolutePath.TrimEnd('/'), signingRegion);
    }

    private async Task<TResponse> SendAsync<TResponse>(AmazonWebServiceRequest original, string bucket, BucketEndpoint endpoint, Func<IRequest> marshall,
        XmlResponseUnmarshaller unmarshaller, CancellationToken cancellationToken) where TResponse : AmazonWebServiceResponse
    {
        var (redirected, clockCorrected) = (false, false);
        while (true)
        {
            var request = marshall();
            // The client's request and exception events fire as in the SDK's pipeline (the permission marking hooks the latter).
            var context = new Amazon.Runtime.Internal.ExecutionContext(new RequestContext(false) { Request = request, OriginalRequest = original, ClientConfig = _config },
                new ResponseContext());
            ProcessRequestHandlers(context);
            using var message = await SignedMessageAsync(request, endpoint).ConfigureAwait(false);
            var sentAt = CaptureSendTime?.Invoke(_config);
            using var response = await _http.Value.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            // A HEAD's Content-Length is the object's size, with no body to read. A CopyObject's answer is read under the
            // caller's cancellation: S3 may keep it open while a large copy runs, and a stop must not wait for that.
            var data = await S3ResponseData.ReadAsync(response, readBody: message.Method != HttpMethod.Head, cancellationToken).ConfigureAwait(false);
            RecordClockSkew?.Invoke(context, sentAt, data);
            if (data.IsSuccessStatusCode && !S3ErrorDocument.Is(data.Body))
            {
                var result = (TResponse)unmarshaller.UnmarshallResponse(new XmlUnmarshallerContext(data.OpenResponse(), false, data, false));
                // The SDK's pipeline notes among a response's metadata the User-Agent its request went with.
                (result.ResponseMetadata ??= new ResponseMetadata()).Metadata["User-Agent"] = UserAgent;
                return result;
            }
            // A bucket in another region than the session's: S3 names the bucket's region, as the SDK's own redirect handling reads it.
            if (!redirected && data.GetHeaderValue("x-amz-bucket-region") is { Length: > 0 } bucketRegion && bucketRegion != endpoint.SigningRegion
                && data.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.BadRequest or HttpStatusCode.TemporaryRedirect
                && Resolve(bucket, bucketRegion) is { } moved)
            {
                _endpoints[bucket] = moved;
                endpoint = moved;
                redirected = true;
                continue;
            }
            // Refused by a host clock S3 finds too far off (RequestTimeTooSkewed; a HEAD's 403 has no body to say so): the
            // answer's Date has just corrected the signer's clock for this endpoint, as the SDK's pipeline does, so once more.
            if (!clockCorrected && RecordClockSkew is not null && data.StatusCode == HttpStatusCode.Forbidden && IsClockFarOff(data))
            {
                clockCorrected = true;
                continue;
            }
            var error = Unmarshalled(unmarshaller, data);
            ProcessExceptionHandlers(context, error);
            throw error;
        }
    }

    /// <summary>The request as the SDK's pipeline would send it: at the bucket's endpoint, signed by AWSSDK.Core's SigV4 signer.</summary>
    private async Task<HttpRequestMessage> SignedMessageAsync(IRequest request, BucketEndpoint endpoint)
    {
        request.Endpoint = endpoint.Authority;
        request.ResourcePath = endpoint.PathPrefix + request.ResourcePath;
        request.AuthenticationRegion = endpoint.SigningRegion;
        request.OverrideSigningServiceName = "s3";
        request.UseDoubleEncoding = false;
        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
        if (credentials.UseToken)
        {
            // Signed with the rest, as the SDK's pipeline signs it.
            request.Headers["x-amz-security-token"] = credentials.Token;
        }
        request.Headers["Authorization"] = new AWS4Signer().SignRequest(request, _config, new RequestMetrics(), credentials.AccessKey, credentials.SecretKey)
            .ForAuthorizationHeader;

        var message = new HttpRequestMessage(new HttpMethod(request.HttpMethod), AmazonServiceClient.ComposeUrl(request));
        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var header in request.Headers)
        {
            if (header.Key.Equals("Host", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || header.Key.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!message.Headers.TryAddWithoutValidation(header.Key, header.Value))
            {
                // A content header (Content-Type, Content-MD5) on a request without a body.
                message.Content ??= new ByteArrayContent(Array.Empty<byte>());
                message.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        return message;
    }

    private static T? ClockSkewHelper<T>(string name) where T : Delegate =>
        typeof(AWS4Signer).Assembly.GetType("Amazon.Runtime.Internal.ClockSkewPipelineHelper")
            ?.GetMethod(name, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic) is { } method
            ? (T?)Delegate.CreateDelegate(typeof(T), method, throwOnBindFailure: false)
            : null;

    /// <summary>
    /// Whether the answer's Date is further from this host's clock than S3 accepts a request's (15 minutes; a little less
    /// here, for the time the answer took).
    /// </summary>
    private static bool IsClockFarOff(S3ResponseData data) =>
        DateTime.TryParse(data.GetHeaderValue("Date"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var serverTime)
        && (serverTime - DateTime.UtcNow).Duration() > TimeSpan.FromMinutes(14);

    /// <summary>
    /// The service's error as the SDK's pipeline makes it (AmazonS3Exception with code, status and request ids): around
    /// the HTTP error it failed with, but for an error document in a 200 OK, which the SDK reports with no HTTP error inside.
    /// </summary>
    private static Exception Unmarshalled(XmlResponseUnmarshaller unmarshaller, S3ResponseData data)
    {
        var context = new XmlUnmarshallerContext(data.OpenResponse(), true, data, true);
        try
        {
            return unmarshaller.UnmarshallException(context, data.IsSuccessStatusCode ? null : new HttpErrorResponseException(data), data.StatusCode);
        }
        catch (Exception error) when (error is not (AmazonServiceException or AmazonClientException))
        {
            return new AmazonUnmarshallingException(data.GetHeaderValue("x-amz-request-id"), null, context.ResponseBody, error, data.StatusCode);
        }
    }
}
