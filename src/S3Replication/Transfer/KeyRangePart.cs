namespace S3Replication.Transfer;

/// <summary>A part of a key range: the keys under <paramref name="Prefix"/>, after <paramref name="After"/>, up to <paramref name="End"/>.</summary>
internal sealed record KeyRangePart(string Prefix, string? After, KeyBound? End);
