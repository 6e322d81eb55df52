using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Replication;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Replication;

/// <summary>
/// The requests our replication edits put on the wire, against a recording fake that answers like AWS. The local
/// Ceph server drops Role, Account, DeleteMarkerReplication and the KMS settings, so those are checked here.
/// </summary>
public class ReplicationWireTests
{
    private static readonly XNamespace S3 = "http://s3.amazonaws.com/doc/2006-03-01/";
    internal const string Role = "arn:aws:iam::111111111111:role/BackupRole";
    private const string KmsKey = "arn:aws:kms:eu-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /// <summary>Two rules with most of what a rule can hold (the wire conformance test sends them through botocore too).</summary>
    internal const string ExistingConfiguration = $"""
        <ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
          <Role>{Role}</Role>
          <Rule>
            <ID>analytics</ID><Priority>5</Priority><Status>Enabled</Status>
            <Filter><And><Prefix>analytics/</Prefix><Tag><Key>team</Key><Value>data</Value></Tag><Tag><Key>tier</Key><Value>gold</Value></Tag></And></Filter>
            <SourceSelectionCriteria><ReplicaModifications><Status>Enabled</Status></ReplicaModifications></SourceSelectionCriteria>
            <ExistingObjectReplication><Status>Enabled</Status></ExistingObjectReplication>
            <Destination>
              <Bucket>arn:aws:s3:::analytics-replica</Bucket><Account>333333333333</Account><StorageClass>STANDARD_IA</StorageClass>
              <ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>
              <Metrics><Status>Enabled</Status><EventThreshold><Minutes>15</Minutes></EventThreshold></Metrics>
            </Destination>
            <DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>
          </Rule>
          <Rule>
            <ID>logs</ID><Priority>9</Priority><Status>Disabled</Status>
            <Filter><Tag><Key>kind</Key><Value>log</Value></Tag></Filter>
            <Destination><Bucket>arn:aws:s3:::logs-replica</Bucket></Destination>
            <DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
          </Rule>
        </ReplicationConfiguration>
        """;

    /// <summary>A fake S3 that stores whatever replication configuration is PUT and serves it back.</summary>
    private sealed class FakeReplicationServer
    {
        public string? Stored { get; set; }
        public Func<int, string?>? OverrideReadBack { get; set; }
        public int Gets { get; private set; }

        public (HttpStatusCode, string) Answer(RecordedRequest request)
        {
            if (!request.Uri.Query.Contains("replication"))
            {
                return (HttpStatusCode.NotFound, "<Error><Code>NoSuchKey</Code></Error>");
            }
            if (request.Method == HttpMethod.Get)
            {
                Gets++;
                var answer = OverrideReadBack?.Invoke(Gets) ?? Stored;
                return answer is null
                    ? (HttpStatusCode.NotFound, "<Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message></Error>")
                    : (HttpStatusCode.OK, answer);
            }
            Stored = request.Method == HttpMethod.Delete ? null : request.Body;
            return (request.Method == HttpMethod.Delete ? HttpStatusCode.NoContent : HttpStatusCode.OK, "");
        }
    }

    private static (ReplicationService Service, RecordingHandler Http) Service(FakeReplicationServer server)
    {
        var http = new RecordingHandler { Responder = server.Answer };
        return (new ReplicationService(RecordingHttpClientFactory.S3Client(http), TimeSpan.Zero), http);
    }

    private static ReplicationRuleSpec CrossAccountSpec() =>
        new("sds-data-dev", "sds-data-dev-backup", "222222222222", Role, "ReplicateToBackup", "", new Dictionary<string, string>(), null,
            "DEEP_ARCHIVE", false, true, KmsKey, false);

    /// <summary>Order-insensitive form of an element: S3 does not care about element order.</summary>
    private static XElement Canonical(XElement element) =>
        new(element.Name.LocalName, element.HasElements
            ? element.Elements().Select(Canonical).OrderBy(child => child.ToString(SaveOptions.DisableFormatting), StringComparer.Ordinal)
            : (object)element.Value.Trim());

    private static List<XElement> Rules(string xml) => XDocument.Parse(xml).Root!.Elements(S3 + "Rule").ToList();

    private static Task<bool> Yes(ReplicationConfiguration? before, ReplicationConfiguration? after) => Task.FromResult(true);

    [Fact]
    public async Task Adding_a_cross_account_rule_sends_it_exactly_and_resends_every_existing_rule_unchanged()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        var (service, http) = Service(server);

        var change = await service.ReadModifyWriteAsync("sds-data-dev", "ReplicateToBackup",
            existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default);

        Assert.True(change.Written);
        var put = Assert.Single(http.Requests, request => request.Method == HttpMethod.Put);
        Assert.Equal("http://s3.test/sds-data-dev/?replication", put.Uri.AbsoluteUri);
        var sent = XDocument.Parse(put.Body).Root!;
        Assert.Equal(Role, sent.Element(S3 + "Role")!.Value);
        var sentRules = Rules(put.Body);
        var originalRules = Rules(ExistingConfiguration);
        Assert.Equal(3, sentRules.Count);
        for (var index = 0; index < originalRules.Count; index++)
        {
            Assert.Equal(Canonical(originalRules[index]).ToString(), Canonical(sentRules[index]).ToString());
        }

        var expected = XElement.Parse($"""
            <Rule>
              <ID>ReplicateToBackup</ID><Priority>10</Priority><Status>Enabled</Status>
              <Filter><Prefix></Prefix></Filter>
              <DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
              <SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>
              <Destination>
                <Bucket>arn:aws:s3:::sds-data-dev-backup</Bucket><Account>222222222222</Account><StorageClass>DEEP_ARCHIVE</StorageClass>
                <AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation>
                <EncryptionConfiguration><ReplicaKmsKeyID>{KmsKey}</ReplicaKmsKeyID></EncryptionConfiguration>
              </Destination>
            </Rule>
            """);
        Assert.Equal(Canonical(expected).ToString(), Canonical(sentRules[2]).ToString());
    }

    [Fact]
    public async Task A_bucket_without_configuration_reads_as_none_whether_404_or_an_empty_200()
    {
        var (missing, _) = Service(new FakeReplicationServer());
        Assert.Null(await missing.GetAsync("b", default));
        var (empty, _) = Service(new FakeReplicationServer { Stored = """<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ReplicationConfiguration>""" });
        Assert.Null(await empty.GetAsync("b", default));
    }

    [Fact]
    public async Task Declining_the_change_sends_nothing()
    {
        var (service, http) = Service(new FakeReplicationServer { Stored = ExistingConfiguration });
        var change = await service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false),
            (_, _) => Task.FromResult(false), default);
        Assert.False(change.Written);
        Assert.All(http.Requests, request => Assert.Equal(HttpMethod.Get, request.Method));
    }

    [Fact]
    public async Task Removing_the_last_rule_deletes_the_configuration()
    {
        var single = $"""<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role>{Role}</Role>{Rules(ExistingConfiguration)[1]}</ReplicationConfiguration>""";
        var server = new FakeReplicationServer { Stored = single };
        var (service, http) = Service(server);

        var change = await service.ReadModifyWriteAsync("b", "logs", existing => ConfigurationMerger.Remove(existing, "b", "logs"), Yes, default);

        Assert.Null(change.After);
        Assert.Single(http.Requests, request => request.Method == HttpMethod.Delete && request.Uri.Query.Contains("replication"));
        Assert.DoesNotContain(http.Requests, request => request.Method == HttpMethod.Put);
        Assert.Null(server.Stored);
    }

    [Fact]
    public async Task A_concurrent_writer_that_overtakes_us_is_detected_and_our_rule_is_added_to_its_state()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        var theirs = ExistingConfiguration.Replace("</ReplicationConfiguration>",
            "<Rule><ID>theirs</ID><Priority>50</Priority><Status>Enabled</Status><Filter><Prefix>x/</Prefix></Filter>" +
            "<Destination><Bucket>arn:aws:s3:::x</Bucket></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule></ReplicationConfiguration>");
        // Reads: 1 before the prompt, 2 right before the write, 3 just after it, 4 after the settle delay.
        // The read just after our write sees the other writer's configuration (it landed after ours).
        server.OverrideReadBack = get => get == 3 ? theirs : null;
        var (service, http) = Service(server);

        var change = await service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default);

        Assert.Equal(2, change.Attempts);
        var finalRules = Rules(http.Requests.Last(request => request.Method == HttpMethod.Put).Body).Select(rule => rule.Element(S3 + "ID")!.Value);
        Assert.Equal(new[] { "analytics", "logs", "theirs", "ReplicateToBackup" }, finalRules);
    }

    [Fact]
    public async Task A_stale_writer_landing_after_our_first_check_is_caught_by_the_settle_check()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        // Our write reads back fine (read 3), then a writer that read before us overwrites it (read 4).
        server.OverrideReadBack = get => get == 4 ? ExistingConfiguration : null;
        var (service, http) = Service(server);

        var change = await service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default);

        Assert.Equal(2, change.Attempts);
        Assert.Equal(2, http.Requests.Count(request => request.Method == HttpMethod.Put));
    }

    [Fact]
    public async Task A_change_made_while_the_prompt_waited_is_merged_not_overwritten()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        var (service, http) = Service(server);
        var newcomer = ExistingConfiguration
            .Replace("</ReplicationConfiguration>", "<Rule><ID>added-meanwhile</ID><Priority>77</Priority><Status>Enabled</Status><Filter><Prefix>m/</Prefix></Filter>" +
                "<Destination><Bucket>arn:aws:s3:::m</Bucket></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule></ReplicationConfiguration>");

        var change = await service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false),
            (_, _) => { server.Stored = newcomer; return Task.FromResult(true); }, default);

        Assert.Equal(1, change.Attempts);
        var sent = Rules(http.Requests.Single(request => request.Method == HttpMethod.Put).Body).Select(rule => rule.Element(S3 + "ID")!.Value);
        Assert.Equal(new[] { "analytics", "logs", "added-meanwhile", "ReplicateToBackup" }, sent);
    }

    [Fact]
    public async Task A_server_that_returns_rules_in_another_order_is_not_mistaken_for_a_concurrent_writer()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        // Ceph RGW returns rules in its own order: reverse whatever was written.
        server.OverrideReadBack = get => server.Stored is { } stored && get > 1
            ? new XDocument(new XElement(S3 + "ReplicationConfiguration", XDocument.Parse(stored).Root!.Elements().Reverse())).ToString()
            : null;
        var (service, http) = Service(server);
        var change = await service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default);
        Assert.Equal(1, change.Attempts);
        Assert.Single(http.Requests, request => request.Method == HttpMethod.Put);
    }

    [Fact]
    public async Task A_configuration_that_keeps_changing_is_reported_after_three_attempts()
    {
        // Every read-back shows the configuration without our rule, as if another writer kept overwriting it.
        var server = new FakeReplicationServer { Stored = ExistingConfiguration, OverrideReadBack = _ => ExistingConfiguration };
        var (service, http) = Service(server);
        var failure = await Assert.ThrowsAsync<S3BackupException>(() =>
            service.ReadModifyWriteAsync("b", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default));
        Assert.Equal(ErrorId.ConcurrentModification, failure.ErrorId);
        Assert.Equal(ReplicationService.ReapplyLimit, http.Requests.Count(request => request.Method == HttpMethod.Put));
    }

    [Fact]
    public async Task A_denied_write_names_the_permissions_needed_and_is_not_retried()
    {
        var server = new FakeReplicationServer { Stored = ExistingConfiguration };
        var http = new RecordingHandler
        {
            Responder = request => request.Method == HttpMethod.Put
                ? (HttpStatusCode.Forbidden, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
                : server.Answer(request),
        };
        var service = new ReplicationService(RecordingHttpClientFactory.S3Client(http), TimeSpan.Zero);

        var failure = await Assert.ThrowsAsync<S3BackupException>(() =>
            service.ReadModifyWriteAsync("sds-data-dev", "ReplicateToBackup", existing => ConfigurationMerger.Add(existing, CrossAccountSpec(), false), Yes, default));

        Assert.Equal(ErrorId.AccessDenied, failure.ErrorId);
        Assert.Contains("s3:PutReplicationConfiguration", failure.Message);
        Assert.Contains("iam:PassRole", failure.Message);
        Assert.Contains("arn:aws:s3:::sds-data-dev", failure.Message);
        Assert.Single(http.Requests, request => request.Method == HttpMethod.Put);
    }
}
