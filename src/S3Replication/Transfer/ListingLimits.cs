namespace S3Replication.Transfer;

/// <summary>How far a listing may spread: pages in flight, objects held ahead of the reader, cuts per split, keys per page.</summary>
internal sealed record ListingLimits(int Concurrency, int MaxHeld, int CutsPerSplit, int PageSize = 1000)
{
    /// <summary>
    /// 64 pages in flight per bucket (S3 serves 5,500 LISTs a second per prefix; at 0.1 s a page this is 640), at most
    /// 64,000 objects (about 25 MB) listed ahead of the plan, at most 48 new ranges per cut, S3's 1,000 keys a page.
    /// </summary>
    public static readonly ListingLimits Default = new(64, 64_000, 48);
}
