using System.Threading;
using System.Threading.Tasks;

namespace S3Replication.Transfer;

/// <summary>Reads one page of a bucket listing: the first page after a key, or the page a previous one pointed to.</summary>
internal interface IListingPages
{
    /// <param name="prefix">The keys to list: the listing's prefix, or a longer one every key of the range has.</param>
    /// <param name="startAfter">For a range's first page: list the keys after this one (all of them where null).</param>
    /// <param name="next">For later pages: the previous page's <see cref="ListingPage.Next"/>.</param>
    Task<ListingPage> ReadAsync(string prefix, string? startAfter, object? next, CancellationToken cancellationToken);
}
