using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using System.Threading;
using S3Replication.PesterSupport;
using S3Replication.Records;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>The stop tests measure time: they run alone, not beside other test classes on the machine's two cores.</summary>
[CollectionDefinition(nameof(StopTimingCollection), DisableParallelization = true)]
public sealed class StopTimingCollection
{
}

/// <summary>
/// Issue 21, "Stops": when downstream stops the pipeline (Select-Object -First) or the user presses Ctrl+C, the command
/// starts nothing new, ends what is in flight, and returns only when none of its requests is running; what it says it did
/// equals what it did. Measured at <see cref="LoopbackS3"/>, whose requests wait before they take effect.
/// </summary>
/// <remarks>
/// Each key's request waits 100 ms + 50 ms × its index, so no two of them complete within 50 ms of each other around the
/// moment of the stop, and the counts can be compared exactly. After a stop the requests in flight may finish for
/// <see cref="S3Replication.Transfer.ItemRunner.Grace"/> (so they are counted) and are cancelled after it; a request the
/// client cancels is aborted at the stand-in and changes nothing. The stand-in notices a closed connection a moment after
/// the client has moved on, so "nothing in flight once the command returned" is checked as: nothing completed after that
/// moment (a request still being served when the command returned would complete later), every request ended soon after
/// it (the aborted ones), and nothing arrived after it.
/// </remarks>
[Collection(nameof(StopTimingCollection))]
public sealed class RestoreStopTests : IDisposable
{
    private const int Objects = 64;
    private readonly RecordingHost _host = new();
    private readonly HostedPowerShell _shell;
    private readonly LoopbackS3 _s3 = LoopbackS3.Start();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"s3r-stop-{Guid.NewGuid():N}");

    public RestoreStopTests()
    {
        _shell = new HostedPowerShell(_host);
        var backup = _s3.AddBucket("st-backup");
        for (var index = 0; index < Objects; index++)
        {
            backup.Put(Key(index), $"backed-up object number {index}");
        }
        _s3.AddBucket("st-source").ReplicatesTo.Add("st-backup");
        _s3.Latency = (operation, key) => operation is "CopyObject" or "GetObject"
            ? TimeSpan.FromMilliseconds(100 + 50 * int.Parse(key[2..], CultureInfo.InvariantCulture))
            : TimeSpan.Zero;
        _shell.UseSession(_s3.Session());
    }

    public void Dispose()
    {
        _shell.Dispose();
        _s3.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static string Key(int index) => $"k/{index:D3}";

    /// <summary>
    /// When the stop came: for Select-Object -First, when the request whose result was the last one it wanted completed
    /// (the <paramref name="wanted"/>th of <paramref name="operation"/>); for Ctrl+C, the moment the test stopped the shell.
    /// </summary>
    private TimeSpan StopOf(string operation, int wanted) =>
        _s3.Log.Where(request => request.Operation == operation && request.End == RequestEnd.Completed).OrderBy(request => request.Ended).ElementAt(wanted - 1).Ended!.Value;

    /// <summary>The count the command told the host when it was stopped ("… (stopped early): N copied …").</summary>
    private long ToldCount(string word)
    {
        var told = _host.Warnings.Where(line => line.Contains("(stopped early)", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(told);
        var match = Regex.Match(line, $@"\(stopped early\): ([\d,]+) {word} ");
        Assert.True(match.Success, line);
        return long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Nothing of the command runs once it has returned at <paramref name="returned"/>: no request completed after that
    /// moment, the ones it cancelled ended (aborted) right after it, and none arrived after it, a second later.
    /// </summary>
    private void NothingRunsAfter(TimeSpan returned, string operation, TimeSpan stoppedAt)
    {
        Assert.True(_s3.WaitIdle(TimeSpan.FromMilliseconds(500)),
            "requests still in flight half a second after the command returned: " + string.Join("; ", _s3.Log.Where(request => request.End == RequestEnd.Running)));
        Assert.Empty(_s3.Log.Where(request => request.End == RequestEnd.Completed && request.Ended > returned).Select(request => request.ToString()));
        Assert.Empty(_s3.Log.Where(request => request.End == RequestEnd.Faulted).Select(request => request + " " + request.Fault));
        // The stop must have caught requests in flight (finished in the grace, or aborted after it), or this test proves nothing.
        Assert.Contains(_s3.Log, request => request.Operation == operation && (request.End == RequestEnd.Aborted || request.Ended > stoppedAt));
        Thread.Sleep(1000);
        Assert.Empty(_s3.Log.Where(request => request.Arrived > returned).Select(request => request.ToString()));
    }

    [Theory]
    [InlineData("Sync-S3BackupToSource st-backup st-source | Select-Object -First 5")]
    [InlineData("Get-S3BackupObject -Bucket st-backup | Sync-S3BackupToSource -SourceBucket st-source | Select-Object -First 5")]
    public void Select_first_stops_a_restore_leaving_nothing_running_and_it_says_exactly_what_it_copied(string script)
    {
        using var shell = _shell.Create(script);

        var output = shell.Invoke().Select(item => item.BaseObject).OfType<SyncResult>().ToList();
        var returned = _s3.Now;

        NothingRunsAfter(returned, "CopyObject", StopOf("CopyObject", 5));
        Assert.Equal(5, output.Count);
        Assert.All(output, row => Assert.Equal("Copied", row.Action));
        var copied = _s3.Copies.Select(copy => copy.Key).OrderBy(key => key, StringComparer.Ordinal).ToList();
        Assert.Equal(copied, _s3.Bucket("st-source").CurrentKeys());
        Assert.Subset(copied.ToHashSet(), output.Select(row => row.Key).ToHashSet());
        Assert.True(copied.Count < Objects, "the whole bucket was copied");
        Assert.Equal(copied.Count, ToldCount("copied"));
    }

    [Theory]
    [InlineData("Sync-S3BackupToSource st-backup st-source")]
    [InlineData("Get-S3BackupObject -Bucket st-backup | Sync-S3BackupToSource -SourceBucket st-source")]
    public void Ctrl_c_stops_a_restore_leaving_nothing_running_and_it_says_exactly_what_it_copied(string script)
    {
        using var shell = _shell.Create(script);
        var output = new PSDataCollection<PSObject>();
        using var third = new ManualResetEventSlim();
        output.DataAdded += (_, _) =>
        {
            if (output.Count >= 3)
            {
                third.Set();
            }
        };

        var invocation = shell.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(third.Wait(TimeSpan.FromSeconds(20)), "three objects were not restored in time");
        var stopped = _s3.Now;
        shell.Stop();   // what Ctrl+C does, from another thread than the pipeline's
        var returned = _s3.Now;
        Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(invocation));

        NothingRunsAfter(returned, "CopyObject", stopped);
        var rows = output.Select(item => item.BaseObject).OfType<SyncResult>().ToList();
        var copied = _s3.Copies.Select(copy => copy.Key).OrderBy(key => key, StringComparer.Ordinal).ToList();
        Assert.Equal(copied, _s3.Bucket("st-source").CurrentKeys());
        Assert.Subset(copied.ToHashSet(), rows.Select(row => row.Key).ToHashSet());
        Assert.True(copied.Count < Objects, "the whole bucket was copied");
        Assert.Equal(copied.Count, ToldCount("copied"));
    }

    [Theory]
    [InlineData("Save-S3BackupObject -Bucket st-backup -Destination $folder | Select-Object -First 2")]
    [InlineData("Get-S3BackupObject -Bucket st-backup | Save-S3BackupObject -Destination $folder | Select-Object -First 2")]
    public void Select_first_stops_downloads_leaving_nothing_running_and_they_say_exactly_what_they_downloaded(string script)
    {
        using var shell = _shell.Create(script, new Dictionary<string, object?> { ["folder"] = _folder });

        var output = shell.Invoke().Select(item => item.BaseObject).OfType<TransferResult>().ToList();
        var returned = _s3.Now;

        NothingRunsAfter(returned, "GetObject", StopOf("GetObject", 2));
        Assert.Equal(2, output.Count);
        var files = Directory.EnumerateFiles(_folder, "*", SearchOption.AllDirectories)
            .Where(path => !Path.GetFileName(path).StartsWith(".s3partial-", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(_folder, path).Replace(Path.DirectorySeparatorChar, '/'))
            .OrderBy(key => key, StringComparer.Ordinal)
            .ToList();
        // A download is done when its file is there: a GET the stand-in answered whole but whose body the stopped client
        // did not finish writing is not one (the server cannot tell); nothing is saved that was not served.
        var served = _s3.Log.Where(request => request.Operation == "GetObject" && request.End == RequestEnd.Completed).Select(request => request.Key).ToHashSet();
        Assert.Subset(served, files.ToHashSet());
        Assert.All(files, key => Assert.Equal($"backed-up object number {int.Parse(key[2..], CultureInfo.InvariantCulture)}", File.ReadAllText(Path.Combine(_folder, key))));
        Assert.Subset(files.ToHashSet(), output.Select(result => result.Key).ToHashSet());
        Assert.True(files.Count < Objects, "every object was downloaded");
        Assert.Equal(files.Count, ToldCount("downloaded"));
    }

    /// <summary>
    /// A copy still in flight when the grace after a stop runs out is cancelled: the command returns soon after the grace,
    /// nothing of it keeps running, the copy never lands, and the stop line says one was cut short.
    /// </summary>
    [Fact]
    public void A_copy_that_outlasts_the_grace_after_a_stop_is_cancelled_and_said_to_be_cut_short()
    {
        _s3.Latency = (operation, key) => operation == "CopyObject" && key == Key(0) ? TimeSpan.FromSeconds(20) : TimeSpan.FromMilliseconds(20);
        using var shell = _shell.Create("Sync-S3BackupToSource st-backup st-source");
        var output = new PSDataCollection<PSObject>();
        using var third = new ManualResetEventSlim();
        output.DataAdded += (_, _) =>
        {
            if (output.Count >= 3)
            {
                third.Set();
            }
        };

        var invocation = shell.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(third.Wait(TimeSpan.FromSeconds(20)), "three objects were not restored in time");
        var stopped = _s3.Now;
        shell.Stop();
        var returned = _s3.Now;
        Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(invocation));

        Assert.InRange((returned - stopped).TotalSeconds, S3Replication.Transfer.ItemRunner.Grace.TotalSeconds - 0.5, S3Replication.Transfer.ItemRunner.Grace.TotalSeconds + 3);
        NothingRunsAfter(returned, "CopyObject", stopped);
        Assert.Contains(_s3.Log, request => request.Operation == "CopyObject" && request.Key == Key(0) && request.End == RequestEnd.Aborted);
        Assert.DoesNotContain(Key(0), _s3.Bucket("st-source").CurrentKeys());
        Assert.Equal(_s3.Copies.Count, ToldCount("copied"));
        Assert.Contains("1 still in flight 3 s after the stop were cancelled and may or may not have landed", Assert.Single(_host.Warnings));
    }
}
