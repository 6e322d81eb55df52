using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using S3Replication.Commands.Objects;
using S3Replication.Records;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Commands;

/// <summary>
/// Undo-S3BackupRestore's input: a restore's records typed, as Import-Csv gives them (all text) and as Import-Clixml gives
/// them (deserialized), each read to the same row; anything else refused at binding. Rows that need no request (changed
/// nothing, or cannot be undone) are settled without a session, so the cmdlet is run here in process.
/// </summary>
public class UndoS3BackupRestoreCommandTests
{
    private static SyncResult Copied(string? sourceVersion) => new()
    {
        Key = "imap/mag/a b+c%.cdf", Action = "Copied", Reason = "MissingInSource", BackupBucket = "sds-data-dev-backup", BackupVersionId = "b1",
        SourceBucket = "sds-data-dev", SourceVersionId = sourceVersion, Size = 1024, Bytes = 1024, Time = new DateTime(2026, 12, 1, 22, 4, 15, DateTimeKind.Utc), Seconds = 0.012,
    };

    /// <summary>What Export-Csv then Import-Csv gives: every property as text, empty for nulls.</summary>
    private static PSObject AsCsvRow(SyncResult result)
    {
        var row = new PSObject();
        foreach (var property in typeof(SyncResult).GetProperties())
        {
            row.Properties.Add(new PSNoteProperty(property.Name, Convert.ToString(property.GetValue(result), System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        }
        return row;
    }

    private static PSObject AsClixmlRow(SyncResult result) => (PSObject)PSSerializer.Deserialize(PSSerializer.Serialize(result));

    private static SyncResult Transform(object input) =>
        Assert.IsType<SyncResult>(new UndoInputAttribute().Transform(null!, input));

    [Fact]
    public void Typed_csv_and_clixml_rows_read_to_the_same_record()
    {
        var original = Copied("s1");
        Assert.Same(original, Transform(original));
        foreach (var row in new[] { AsCsvRow(original), AsClixmlRow(original) })
        {
            var read = Transform(row);
            Assert.Equal((original.Key, "Copied", original.BackupBucket, "b1", original.SourceBucket, "s1", 1024L),
                (read.Key, read.Action, read.BackupBucket, read.BackupVersionId, read.SourceBucket, read.SourceVersionId, read.Size));
        }
        var unversioned = Transform(AsCsvRow(Copied(null)));
        Assert.Null(unversioned.SourceVersionId);
    }

    [Fact]
    public void An_array_given_by_name_is_read_row_by_row()
    {
        var rows = Assert.IsType<SyncResult?[]>(new UndoInputAttribute().Transform(null!, new object[] { AsCsvRow(Copied("s1")), Copied("s2") }));
        Assert.Equal(new[] { "s1", "s2" }, rows.Select(row => row!.SourceVersionId));
    }

    [Fact]
    public void Objects_that_are_not_restore_records_are_refused_at_binding()
    {
        var refused = Assert.Throws<ArgumentTransformationMetadataException>(() => Transform(new S3ObjectRecord { Bucket = "b", Key = "k" }));
        Assert.Contains("not a restore record", refused.Message);
        var csv = AsCsvRow(Copied("s1"));
        csv.Properties["Action"].Value = "Undone";
        Assert.Contains("Action 'Undone', which no restore writes", Assert.Throws<ArgumentTransformationMetadataException>(() => Transform(csv)).Message);
    }

    [Fact]
    public void Rows_read_back_from_files_are_counted_and_reported_without_a_request()
    {
        using var shell = new HostedPowerShell();
        var rows = new object[]
        {
            AsCsvRow(Copied(null)),
            AsClixmlRow(new SyncResult { Key = "preview.cdf", Action = "WouldCopy", BackupBucket = "sds-data-dev-backup", SourceBucket = "sds-data-dev" }),
            AsCsvRow(new SyncResult { Key = "same.cdf", Action = "Skipped", BackupBucket = "sds-data-dev-backup", SourceBucket = "sds-data-dev" }),
            new S3ObjectRecord { Bucket = "sds-data-dev-backup", Key = "not-a-row.cdf" },
        };

        var (output, errors) = shell.Run(
            "$rows | Undo-S3BackupRestore -Confirm:$false -InformationVariable told -InformationAction SilentlyContinue; $told | ForEach-Object { \"$_\" }",
            new Dictionary<string, object?> { ["rows"] = rows });

        var result = Assert.IsType<UndoResult>(output[0].BaseObject);
        Assert.Equal(("NotUndoable", "NoSourceVersion", "Copied", "sds-data-dev"), (result.Action, result.Reason, result.RestoreAction, result.SourceBucket));
        Assert.Contains(errors, error => error.FullyQualifiedErrorId.StartsWith("NotUndoable,", StringComparison.Ordinal) && error.Exception.Message.Contains("names no source version"));
        Assert.Contains(errors, error => error.Exception is ParameterBindingException && error.Exception.Message.Contains("not a restore record"));
        var summary = Assert.Single(output.Skip(1)).ToString();
        Assert.StartsWith("Undo of the restore in s3://sds-data-dev: 0 undone", summary);
        Assert.Contains("2 skipped, 1 not undone", summary);
        Assert.EndsWith("Not undone: 1 not undoable.", summary);
    }

    [Fact]
    public void With_Summary_it_writes_one_summary_record()
    {
        using var shell = new HostedPowerShell();
        var (output, _) = shell.Run("$rows | Undo-S3BackupRestore -Summary -Confirm:$false -ErrorAction SilentlyContinue -InformationAction SilentlyContinue",
            new Dictionary<string, object?> { ["rows"] = new object[] { Copied(null), Copied("") } });
        var summary = Assert.IsType<TransferSummary>(Assert.Single(output).BaseObject);
        Assert.Equal(("Undo", 2L, 0L), (summary.Activity, summary.Failed, summary.Transferred));
    }
}
