using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using S3Replication.Diagnostics;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Diagnostics;

/// <summary>
/// Test-S3BackupAccess -Probe Undo against buckets in memory: it proves s3:ListBucketVersions and s3:DeleteObjectVersion
/// on a probe object of its own and leaves nothing behind, or says why it could not be tried.
/// </summary>
public class AccessProbeUndoWireTests
{
    private static (AccessProbe Probe, FakeVersionedS3 S3, ProfileFolder Folder) Probe()
    {
        var folder = new ProfileFolder("[profile ops]\n", "[ops]\naws_access_key_id = AKIAOPERATOR\naws_secret_access_key = operatorSecret\n");
        var s3 = new FakeVersionedS3();
        var session = SessionFactory.Create(new SessionRequest("ops", "eu-west-2", "http://s3.example.test"), folder.Environment, new RecordingHttpClientFactory(s3.Http));
        return (new AccessProbe(session), s3, folder);
    }

    [Fact]
    public async Task On_a_versioned_bucket_it_removes_exactly_the_probes_version_and_leaves_nothing()
    {
        var (probe, s3, folder) = Probe();
        using var _ = folder;
        s3.Put("sds-data-dev", "imap/mag/kept.cdf", "data");
        var data = s3.State("sds-data-dev");

        var records = await probe.UndoAsync("sds-data-dev", default);

        Assert.Equal(new[] { "UndoCheck Allowed s3:ListBucketVersions", "Undo Allowed s3:DeleteObjectVersion" }, records.Select(record => $"{record.Check} {record.Outcome.ToString()} {record.Action}"));
        Assert.Equal(data, s3.State("sds-data-dev"));
        var requests = s3.Http.Requests;
        Assert.Equal(new[] { "PUT", "GET", "DELETE" }, requests.Select(request => request.Method.Method));
        var versionId = records[1].Detail!.Split(' ')[2];
        Assert.Contains($"versionId={versionId}", requests[2].Uri.Query);
        Assert.StartsWith("/sds-data-dev/s3backup-access-probe/", requests[2].Uri.AbsolutePath);
        Assert.Contains("prefix=s3backup-access-probe/", requests[1].PathAndQuery);
        Assert.EndsWith("is current", records[0].Detail);
    }

    [Fact]
    public async Task A_refused_removal_is_denied_naming_the_action_and_the_probe_version_that_remains()
    {
        var (probe, s3, folder) = Probe();
        using var _ = folder;
        s3.Deny = request => request.Method == HttpMethod.Delete;

        var records = await probe.UndoAsync("sds-data-dev", default);

        var undo = records.Single(record => record.Check == "Undo");
        Assert.Equal(("Denied", "AccessDenied"), (undo.Outcome.ToString(), undo.ErrorCode));
        Assert.Contains("s3:DeleteObjectVersion on arn:aws:s3:::sds-data-dev/*", undo.Hint);
        Assert.Contains("remains: remove it with an identity that may", undo.Hint);
        Assert.Single(s3.Http.Requests, request => request.Method == HttpMethod.Delete);
    }

    [Fact]
    public async Task Without_write_permission_it_says_the_undo_probe_could_not_be_tried()
    {
        var (probe, s3, folder) = Probe();
        using var _ = folder;
        s3.Deny = request => request.Method == HttpMethod.Put;

        var record = Assert.Single(await probe.UndoAsync("sds-data-dev", default));

        Assert.Equal(("Undo", "Skipped", "s3:DeleteObjectVersion"), (record.Check, record.Outcome.ToString(), record.Action));
        Assert.StartsWith("Could not be tried: it removes a version of a probe object it writes first, and writing one was denied (AccessDenied).", record.Hint);
        Assert.Contains("s3:PutObject and s3:PutObjectAcl on arn:aws:s3:::sds-data-dev/*", record.Hint);
        Assert.Single(s3.Http.Requests);
    }

    [Fact]
    public async Task On_a_bucket_without_versions_it_says_there_is_nothing_to_undo_and_deletes_the_probe()
    {
        var (probe, s3, folder) = Probe();
        using var _ = folder;
        s3.Unversioned = true;

        var record = Assert.Single(await probe.UndoAsync("sds-data-dev", default));

        Assert.Equal(("Undo", "Skipped"), (record.Check, record.Outcome.ToString()));
        Assert.Contains("keeps no versions", record.Hint);
        Assert.Equal("", s3.State("sds-data-dev"));
        Assert.Equal(new[] { "PUT", "DELETE" }, s3.Http.Requests.Select(request => request.Method.Method));
        Assert.DoesNotContain("versionId", s3.Http.Requests[1].Uri.Query);
    }
}
