using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using S3Replication.Session;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Permissions;

/// <summary>What one scenario did: its output and errors, the grants its requests needed, and the stand-in's log.</summary>
internal sealed record ScenarioResult(HostedRun Run, IReadOnlySet<Grant> Grants, IReadOnlySet<Grant> BackupSideGrants, IReadOnlyList<LoggedRequest> Log, string Described)
{
    /// <summary>Whether any write sent an ACL (x-amz-acl): the page's "if ACL" rows are needed exactly then.</summary>
    public bool AclSent => Log.Any(request => request.IsWrite && request.Header("x-amz-acl").Length > 0);
}

/// <summary>Runs a <see cref="Scenario"/> against a fresh stand-in, recording the grants of every request the module sends.</summary>
internal sealed class ScenarioRunner
{
    private readonly HostedPowerShell _shell;

    public ScenarioRunner(HostedPowerShell shell) => _shell = shell;

    /// <summary>The grants a request to the stand-in needed: those the S3 client stamped on it, or for IAM and S3 Control, by its operation.</summary>
    private static IReadOnlyList<Grant> GrantsOf(LoggedRequest request) => PermissionRecorder.Carried(request).Concat(OutsideS3Grants(request)).ToList();

    /// <summary>
    /// IAM, STS and S3 Control requests (the module's own signed clients and the STS client, not the S3 client): the
    /// stand-in names S3 Control's operation; IAM and STS both POST a form to "/", told apart by the service their
    /// signature is scoped to. The only IAM action the stand-in serves is GetRole (of the Batch role, here); STS
    /// GetCallerIdentity needs no permission.
    /// </summary>
    private static IEnumerable<Grant> OutsideS3Grants(LoggedRequest request) => request.Operation switch
    {
        "Iam" when SignedFor(request) == "iam" => new[] { new Grant("iam:GetRole", "arn:aws:iam::<source-account>:role/<batch-role>") },
        "Iam" when SignedFor(request) == "sts" => Array.Empty<Grant>(),
        "Iam" => throw new InvalidOperationException($"A POST to / signed for '{SignedFor(request)}': neither IAM nor STS. Name its permission here."),
        "CreateJob" => new[] { new Grant("s3:CreateJob", "*"), new Grant("iam:PassRole", "arn:aws:iam::<source-account>:role/<batch-role>") },
        "DescribeJob" => new[] { new Grant("s3:DescribeJob", "arn:aws:s3:<region>:<source-account>:job/*") },
        _ => Array.Empty<Grant>(),
    };

    /// <summary>The service of a SigV4 signature's scope (Credential=key/date/region/service/aws4_request).</summary>
    private static string SignedFor(LoggedRequest request)
    {
        var credential = request.Header("authorization").Split(new[] { "Credential=" }, StringSplitOptions.None).ElementAtOrDefault(1) ?? "";
        return credential.Split(',')[0].Split('/').ElementAtOrDefault(3) ?? "";
    }

    /// <param name="deny">A grant the identity lacks: every request that needs it is refused (403 AccessDenied).</param>
    public ScenarioResult Run(Scenario scenario, Grant? deny = null)
    {
        using var s3 = LoopbackS3.Start();
        var asOf = Scenarios.Plant(s3, scenario.Archived);
        // The session's account is known, as STS GetCallerIdentity tells it on AWS; the buckets are its own unless the scenario says.
        s3.CallerAccount = LoopbackS3.DefaultAccount;
        if (scenario.SourceOwner is { } owner)
        {
            s3.Bucket(Scenarios.Source).Owner = owner;
        }
        var session = s3.Session();
        _shell.UseSession(session);
        using var recorder = new PermissionRecorder(Scenarios.Placeholders);
        recorder.Listen(session, "session");
        using var backupProfile = new ProfileFolder(
            "[profile loopback-backup]\nregion = us-east-1\n" +
            $"endpoint_url = {s3.Endpoint.GetLeftPart(UriPartial.Authority)}\n" +
            "request_checksum_calculation = when_required\nresponse_checksum_validation = when_required\n",
            "[loopback-backup]\naws_access_key_id = AKIALOOPBACKBACKUP\naws_secret_access_key = loopback-secret\n");
        var folder = Path.Combine(Path.GetTempPath(), "s3r-permissions-" + Guid.NewGuid().ToString("N"));
        var file = folder + ".csv";
        var variables = new Dictionary<string, object?> { ["asOf"] = asOf, ["file"] = file, ["folder"] = folder, ["backupSession"] = null };
        AwsSession? backup = null;
        try
        {
            if (scenario.TwoSessions)
            {
                backup = _shell.AddSession(new SessionRequest("loopback-backup", null, null), backupProfile.Environment);
                recorder.Listen(backup, "backup");
                variables["backupSession"] = backup.ToRecord(isDefault: false);
            }
            if (scenario.Setup is { } setup)
            {
                var prepared = _shell.RunAll(setup, variables);
                if (prepared.Errors.Count > 0)
                {
                    throw new InvalidOperationException($"The set-up of {scenario.Id} failed: " + string.Join("\n", prepared.Errors.Select(error => error.ToString())));
                }
            }
            recorder.Clear();
            s3.ClearLog();
            if (deny is not null)
            {
                s3.Deny = request => GrantsOf(request).Contains(deny);
            }
            HostedRun run;
            try
            {
                run = _shell.RunAll(scenario.Script, variables);
            }
            catch (RuntimeException stopped)
            {
                run = new HostedRun(Array.Empty<PSObject>(), new[] { stopped.ErrorRecord }, Array.Empty<string>());
            }
            s3.Deny = null;
            var standInFaults = s3.Log.Where(request => request.End is RequestEnd.Faulted || request.Operation == "Unsupported").ToList();
            if (standInFaults.Count > 0)
            {
                throw new InvalidOperationException($"The stand-in did not serve what {scenario.Id} sent: " + string.Join("\n", standInFaults.Select(request => request + " " + request.Fault)));
            }
            var outside = s3.Log.SelectMany(OutsideS3Grants).ToHashSet();
            var grants = recorder.Grants().Concat(outside).ToHashSet();
            return new ScenarioResult(run, grants, recorder.Grants("backup"), s3.Log,
                recorder.Describe() + string.Concat(outside.Select(grant => $"\n  [session] (IAM, S3 Control) → {grant}")));
        }
        finally
        {
            backup?.Dispose();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
            File.Delete(file);
        }
    }
}
