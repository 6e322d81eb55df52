using CsCheck;

namespace S3Replication.Tests.Support;

internal static class Generators
{
    /// <summary>One of the given values, uniformly.</summary>
    public static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(index => values[index]);
}
