using System.Management.Automation.Runspaces;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class SessionStoreTests
{
    private static AwsSession NewSession(ProfileFolder folder) =>
        SessionFactory.Create(new SessionRequest("ops", null, null), folder.Environment);

    [Fact]
    public void Each_runspace_has_its_own_store_released_when_the_runspace_closes()
    {
        using var folder = new ProfileFolder("", "[ops]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n");
        var runspace = RunspaceFactory.CreateRunspace();
        runspace.Open();
        var previous = Runspace.DefaultRunspace;
        Runspace.DefaultRunspace = runspace;
        try
        {
            var store = SessionStore.ForCurrentRunspace();
            store.SetDefault(NewSession(folder));
            Assert.Same(store, SessionStore.ForCurrentRunspace());
            runspace.Close();
            Assert.Null(store.Default);
            Assert.NotSame(store, SessionStore.ForCurrentRunspace());
        }
        finally
        {
            Runspace.DefaultRunspace = previous;
            runspace.Dispose();
        }
    }

    [Fact]
    public void Reuses_a_session_until_the_profile_files_change()
    {
        using var folder = new ProfileFolder("", "[ops]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n");
        var store = new SessionStore();
        var request = new SessionRequest("ops", null, null);
        var first = store.GetOrCreate(request, folder.Environment);
        Assert.Same(first, store.GetOrCreate(request, folder.Environment));
        System.IO.File.AppendAllText(folder.ConfigPath, "[profile ops]\nregion = eu-west-2\n");
        System.IO.File.SetLastWriteTimeUtc(folder.ConfigPath, System.DateTime.UtcNow.AddSeconds(5));
        var second = store.GetOrCreate(request, folder.Environment);
        Assert.NotSame(first, second);
        Assert.Equal("eu-west-2", second.S3Settings.Region);
    }

    [Fact]
    public void A_stopped_cmdlet_leaves_later_cmdlets_a_fresh_s3_client_with_its_own_pool()
    {
        using var folder = new ProfileFolder("", "[ops]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n");
        using var session = NewSession(folder);
        var before = session.S3;
        var pool = Assert.IsType<SessionHttpClientFactory>(((Amazon.S3.AmazonS3Config)before.Config).HttpClientFactory);
        session.DiscardConnections();
        Assert.NotSame(before, session.S3);
        Assert.NotSame(pool, ((Amazon.S3.AmazonS3Config)session.S3.Config).HttpClientFactory);
    }
}
