using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace S3Replication.Core;

/// <summary>
/// An HTTP request signed with AWSSDK.Core's public SigV4 signer, for the APIs this module calls without an SDK
/// client (IAM, S3 Control). Built afresh for every attempt, so a retry never reuses a stale signature.
/// </summary>
internal static class SignedRequest
{
    public static async Task<HttpRequestMessage> CreateAsync(HttpMethod method, Uri uri, IReadOnlyDictionary<string, string> headers, string? contentType,
        byte[]? body, AWSCredentials credentials, string region, string service, DateTime signedAt, CancellationToken cancellationToken)
    {
        var signing = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = body ?? Array.Empty<byte>() };
        signing.Headers["Host"] = uri.IsDefaultPort ? uri.Host : uri.Authority;
        foreach (var header in headers)
        {
            signing.Headers[header.Key] = header.Value;
        }
        if (contentType is not null)
        {
            signing.Headers["Content-Type"] = contentType;
        }
        var signature = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
        {
            Credentials = credentials,
            Region = Amazon.RegionEndpoint.GetBySystemName(region),
            Service = service,
            SignedAt = signedAt,
        }, cancellationToken).ConfigureAwait(false);

        var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        foreach (var header in headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var header in signature.Headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return request;
    }
}
