using System.Collections.Generic;

namespace S3Replication.Transfer;

/// <summary>How to cut the rest of a range: where the range itself now ends, and the parts after it, in order.</summary>
internal sealed record KeyRangeCut(KeyBound ContinueTo, IReadOnlyList<KeyRangePart> Parts);
