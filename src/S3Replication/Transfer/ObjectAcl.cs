using Amazon.S3;

namespace S3Replication.Transfer;

/// <summary>-Acl: what the objects a restore or an upload writes carry.</summary>
public enum AclChoice
{
    /// <summary>Decided per run and bucket (<see cref="ObjectAcl.Decide"/>).</summary>
    Auto,

    /// <summary>Always bucket-owner-full-control (needs s3:PutObjectAcl besides s3:PutObject).</summary>
    BucketOwnerFullControl,

    /// <summary>Never an ACL (for servers that refuse ACL headers).</summary>
    None,
}

/// <summary>A bucket's Object Ownership setting, as GetBucketOwnershipControls reports it.</summary>
internal enum Ownership
{
    /// <summary>Not known: the setting could not be read (denied, or a server without it).</summary>
    Unknown,

    /// <summary>ACLs are disabled: the bucket owner owns every object.</summary>
    BucketOwnerEnforced,

    /// <summary>The bucket owner owns objects written with bucket-owner-full-control.</summary>
    BucketOwnerPreferred,

    /// <summary>The writer owns what it writes.</summary>
    ObjectWriter,
}

/// <summary>
/// The ACL of every object this module writes into a bucket, decided once per run and bucket. S3 makes the writer's
/// account the owner of an object it writes unless the bucket enforces bucket-owner ownership; where another account
/// writes, bucket-owner-full-control keeps the object usable by the bucket's owner. But a PUT or copy that sets an ACL
/// needs s3:PutObjectAcl besides s3:PutObject (AWS's PutObject reference), which the runbook's role does not have, so it is
/// sent only where it is needed. Pure.
/// </summary>
internal static class ObjectAcl
{
    /// <param name="writerAccount">The writing identity's account, where known (S3-compatible servers' ARNs carry none).</param>
    /// <param name="bucketOwner">
    /// The account every write to the bucket names as its expected owner (x-amz-expected-bucket-owner), so S3 refuses the
    /// write where the bucket is another's: a match with <paramref name="writerAccount"/> is as good as confirmed.
    /// </param>
    public static (S3CannedACL? Acl, string Why) Decide(AclChoice choice, string? writerAccount, string? bucketOwner, Ownership ownership) => choice switch
    {
        AclChoice.BucketOwnerFullControl => (S3CannedACL.BucketOwnerFullControl, "bucket-owner-full-control, as -Acl asks"),
        AclChoice.None => (null, "no ACL, as -Acl None asks"),
        _ when ownership == Ownership.BucketOwnerEnforced =>
            (null, "no ACL: the bucket enforces bucket-owner ownership (ACLs are disabled)"),
        _ when writerAccount is null =>
            (S3CannedACL.BucketOwnerFullControl, "bucket-owner-full-control: the writer's account is not known (an S3-compatible server?), and the ACL keeps the objects usable by the bucket's owner"),
        _ when writerAccount == bucketOwner =>
            (null, $"no ACL: the writer's account {writerAccount} owns the bucket (every write expects it to), so it owns what it writes"),
        _ => (S3CannedACL.BucketOwnerFullControl, $"bucket-owner-full-control: account {writerAccount} writes into a bucket " +
            (bucketOwner is null ? "whose owner is not known" : $"of account {bucketOwner}") +
            (ownership == Ownership.Unknown ? " whose ownership setting could not be read" : $" that lets writers own objects ({ownership})")),
    };

    public static Ownership OwnershipOf(string? rule) => rule switch
    {
        "BucketOwnerEnforced" => Ownership.BucketOwnerEnforced,
        "BucketOwnerPreferred" => Ownership.BucketOwnerPreferred,
        "ObjectWriter" => Ownership.ObjectWriter,
        _ => Ownership.Unknown,
    };
}
