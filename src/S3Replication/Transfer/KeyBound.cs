namespace S3Replication.Transfer;

/// <summary>Where a key range ends: before or at a key (compared in S3's order, on this side only: S3 is never told).</summary>
internal readonly record struct KeyBound(string Key, bool Inclusive)
{
    public bool IsPast(string key)
    {
        var order = KeyOrder.Instance.Compare(key, Key);
        return Inclusive ? order > 0 : order >= 0;
    }
}
