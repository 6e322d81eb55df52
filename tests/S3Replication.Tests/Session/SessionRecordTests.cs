using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

public class SessionRecordTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Token = "FwoGZXIvYXdzEXAMPLETOKEN";

    private static S3BackupSession Record()
    {
        using var folder = new ProfileFolder("[profile ops]\nregion = eu-west-2\nendpoint_url = http://127.0.0.1:9\n",
            $"[ops]\naws_access_key_id = {AccessKey}\naws_secret_access_key = {Secret}\naws_session_token = {Token}\n");
        return SessionFactory.Create(new SessionRequest("ops", null, null), folder.Environment).ToRecord(isDefault: true);
    }

    [Fact]
    public void Describes_the_session_without_network_calls()
    {
        var record = Record();
        Assert.Equal(("ops", "eu-west-2", "http://127.0.0.1:9", "Session", "Session (profile ops)", "Unknown"),
            (record.ProfileName, record.Region, record.Endpoint, record.CredentialKind, record.CredentialChain, record.IdentitySource));
        Assert.Equal("ops as unknown identity in eu-west-2 at http://127.0.0.1:9", record.ToString());
    }

    [Fact]
    public void Clixml_json_and_list_views_hold_no_key_secret_or_token()
    {
        var record = Record();
        var clixml = PSSerializer.Serialize(record, depth: 5);
        var json = JsonSerializer.Serialize(record);
        using var shell = new HostedPowerShell();
        var (output, _) = shell.Run("$record | Format-List * | Out-String; $record | ConvertTo-Json -Depth 5",
            new System.Collections.Generic.Dictionary<string, object?> { ["record"] = record });
        var text = clixml + json + string.Concat(output.Select(item => item.ToString()));
        foreach (var secret in new[] { Secret, AccessKey, Token })
        {
            Assert.DoesNotContain(secret, text);
        }
        Assert.Contains("eu-west-2", text);
    }
}
