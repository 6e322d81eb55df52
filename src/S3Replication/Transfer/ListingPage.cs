using System.Collections.Generic;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>One page of a listing: its objects in S3's order, and where the next page starts (null at the end).</summary>
internal sealed record ListingPage(IReadOnlyList<S3ObjectRecord> Items, object? Next);
