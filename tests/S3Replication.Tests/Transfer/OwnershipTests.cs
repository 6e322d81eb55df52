using System.Linq;
using Amazon.S3;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// Issue 22: the ACL of the objects a restore writes is decided, not assumed, and every request names the account it
/// expects to own the bucket. The rule alone, then on the wire: the real Sync-S3BackupToSource against
/// <see cref="LoopbackS3"/>, which answers STS GetCallerIdentity with a configurable account (or not at all, as Ceph RGW),
/// refuses a request whose expected owner is not the bucket's with 403 (as S3 does) and reports Object Ownership.
/// </summary>
public sealed class OwnershipTests : IClassFixture<HostedShellFixture>
{
    private const string Writer = "111122223333";
    private const string Other = "999988887777";
    private const string BackupAccount = "444455556666";
    private readonly HostedPowerShell _shell;

    public OwnershipTests(HostedShellFixture fixture) => _shell = fixture.Shell;

    [Theory]
    [InlineData("Auto", Writer, Writer, "Unknown", false)]
    [InlineData("Auto", Writer, Writer, "ObjectWriter", false)]
    [InlineData("Auto", null, Writer, "Unknown", true)]
    [InlineData("Auto", null, null, "Unknown", true)]
    [InlineData("Auto", Writer, Other, "ObjectWriter", true)]
    [InlineData("Auto", Writer, Other, "BucketOwnerPreferred", true)]
    [InlineData("Auto", Writer, Other, "Unknown", true)]
    [InlineData("Auto", Writer, Other, "BucketOwnerEnforced", false)]
    [InlineData("Auto", Writer, null, "Unknown", true)]
    [InlineData("Auto", null, Other, "BucketOwnerEnforced", false)]
    [InlineData("BucketOwnerFullControl", Writer, Writer, "BucketOwnerEnforced", true)]
    [InlineData("None", null, Other, "ObjectWriter", false)]
    public void The_acl_rule_sends_bucket_owner_full_control_only_where_another_or_an_unknown_account_may_own_the_objects(
        string choice, string? writer, string? owner, string ownership, bool sent)
    {
        var (acl, why) = ObjectAcl.Decide(System.Enum.Parse<AclChoice>(choice), writer, owner, System.Enum.Parse<Ownership>(ownership));
        Assert.Equal(sent ? S3CannedACL.BucketOwnerFullControl : null, acl);
        Assert.False(string.IsNullOrWhiteSpace(why));
    }

    /// <summary>A backup bucket of the backup account, whose replication rule in the source names that account, and a source of <paramref name="sourceOwner"/>.</summary>
    private LoopbackS3 Start(string? caller, string sourceOwner, string? ownership = null)
    {
        var s3 = LoopbackS3.Start();
        s3.CallerAccount = caller;
        var backup = s3.AddBucket("ow-backup");
        backup.Owner = BackupAccount;
        backup.Put("a.cdf", "a");
        backup.Put("b.cdf", "b");
        var source = s3.AddBucket("ow-source");
        source.Owner = sourceOwner;
        source.Ownership = ownership;
        source.ReplicatesTo.Add("ow-backup");
        source.ReplicatesToAccount = BackupAccount;
        source.Put("only-in-source.tmp", "junk");
        _shell.UseSession(s3.Session());
        return s3;
    }

    private static string[] CopyAcls(LoopbackS3 s3) =>
        s3.Log.Where(request => request.Operation == "CopyObject").Select(request => request.Header("x-amz-acl")).Distinct().ToArray();

    [Theory]
    [InlineData(Writer, Writer, null, "", "")]
    [InlineData(null, Writer, null, "", "bucket-owner-full-control")]
    [InlineData(Writer, Other, "ObjectWriter", $"-SourceAccountId {Other}", "bucket-owner-full-control")]
    [InlineData(Writer, Other, "BucketOwnerEnforced", $"-SourceAccountId {Other}", "")]
    [InlineData(Writer, Other, null, $"-SourceAccountId {Other}", "bucket-owner-full-control")]
    [InlineData(Writer, Writer, null, "-Acl BucketOwnerFullControl", "bucket-owner-full-control")]
    [InlineData(null, Writer, null, "-Acl None", "")]
    public void A_restore_sends_the_acl_the_rule_decides_on_every_copy(string? caller, string sourceOwner, string? ownership, string arguments, string acl)
    {
        using var s3 = Start(caller, sourceOwner, ownership);
        var run = _shell.RunAll($"Sync-S3BackupToSource ow-backup ow-source {arguments}");
        RestoreEntranceTests.NoErrors(run);
        Assert.Equal(2, s3.Copies.Count);
        Assert.Equal(new[] { acl }, CopyAcls(s3));
    }

    /// <summary>A Batch job writes as its role: the rule is decided for the role's account, not the operator's.</summary>
    [Theory]
    [InlineData(Writer, null)]
    [InlineData(Other, "bucket-owner-full-control")]
    public void A_batch_restore_decides_the_acl_for_the_account_of_the_role_the_job_runs_as(string roleAccount, string? acl)
    {
        using var s3 = Start(Writer, Writer);
        s3.AddBucket("ow-work");
        s3.AddRole("BatchRestore", RestoreEntranceTests.BatchTrust);
        var run = _shell.RunAll($"Start-S3BackupBatchRestore ow-backup ow-source -WorkBucket ow-work -RoleArn arn:aws:iam::{roleAccount}:role/BatchRestore -AccountId {Writer}");
        RestoreEntranceTests.NoErrors(run);
        var copy = Assert.Single(s3.Jobs).Request.Descendants().Single(element => element.Name.LocalName == "S3PutObjectCopy");
        Assert.Equal(acl, copy.Elements().SingleOrDefault(element => element.Name.LocalName == "CannedAccessControlList")?.Value);
        Assert.All(s3.Log.Where(request => request.Bucket is "ow-backup" or "ow-source"),
            request => Assert.Equal(request.Bucket == "ow-backup" ? BackupAccount : Writer, request.Header("x-amz-expected-bucket-owner")));
    }

    [Fact]
    public void Every_request_names_the_owner_it_expects_the_session_account_for_the_source_and_the_rules_account_for_the_backup()
    {
        using var s3 = Start(Writer, Writer);
        var run = _shell.RunAll("Sync-S3BackupToSource ow-backup ow-source -Mirror; Compare-S3BackupBucket ow-backup ow-source -IncludeEqual");
        RestoreEntranceTests.NoErrors(run);
        var buckets = s3.Log.Where(request => request.Bucket is "ow-backup" or "ow-source").ToList();
        Assert.Contains(buckets, request => request.Operation == "DeleteObject");
        Assert.All(buckets, request => Assert.Equal(request.Bucket == "ow-backup" ? BackupAccount : Writer, request.Header("x-amz-expected-bucket-owner")));
        Assert.All(buckets.Where(request => request.Operation == "CopyObject"), request => Assert.Equal(BackupAccount, request.Header("x-amz-source-expected-bucket-owner")));
    }

    [Fact]
    public void Where_no_account_is_known_no_owner_is_expected_of_the_source()
    {
        using var s3 = Start(null, Writer);
        RestoreEntranceTests.NoErrors(_shell.RunAll("Sync-S3BackupToSource ow-backup ow-source"));
        Assert.All(s3.Log.Where(request => request.Bucket == "ow-source"), request => Assert.Equal("", request.Header("x-amz-expected-bucket-owner")));
        Assert.All(s3.Log.Where(request => request.Bucket == "ow-backup"), request => Assert.Equal(BackupAccount, request.Header("x-amz-expected-bucket-owner")));
    }

    [Theory]
    [InlineData("Sync-S3BackupToSource ow-backup ow-source -SourceAccountId 123456789012", "ow-source")]
    [InlineData("Get-S3BackupObject -Bucket ow-backup | Sync-S3BackupToSource -SourceBucket ow-source -SourceAccountId 123456789012", "ow-source")]
    [InlineData("Sync-S3BackupToSource ow-backup ow-source -BackupAccountId 123456789012", "ow-backup")]
    [InlineData("Compare-S3BackupBucket ow-backup ow-source -BackupAccountId 123456789012", "ow-backup")]
    public void A_bucket_of_another_account_than_expected_is_refused_and_nothing_is_written(string script, string bucket)
    {
        using var s3 = Start(Writer, Writer);
        var run = _shell.RunAll(script);
        var error = Assert.Single(run.Errors);
        Assert.StartsWith("WrongBucketOwner,", error.FullyQualifiedErrorId);
        Assert.Contains($"s3://{bucket} does not belong to account 123456789012", error.Exception.Message);
        Assert.Empty(s3.Log.Where(request => request.IsWrite).Select(request => request.ToString()));
    }

    [Fact]
    public void A_backup_bucket_created_again_by_another_account_than_the_rule_names_is_refused()
    {
        using var s3 = Start(Writer, Writer);
        s3.Bucket("ow-backup").Owner = Other;
        var error = Assert.Single(_shell.RunAll("Sync-S3BackupToSource ow-backup ow-source").Errors);
        Assert.StartsWith("WrongBucketOwner,", error.FullyQualifiedErrorId);
        Assert.Contains($"does not belong to account {BackupAccount}", error.Exception.Message);
        Assert.Empty(s3.Copies);
    }
}
