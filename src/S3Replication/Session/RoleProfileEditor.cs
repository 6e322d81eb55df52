using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;

namespace S3Replication.Session;

/// <summary>What Set-BackupRoleProfile writes: the role, its source and the optional assume-role settings.</summary>
internal sealed record RoleProfileSpec(
    string Name,
    string RoleArn,
    string SourceProfile,
    string? Region = null,
    string? ExternalId = null,
    string? MfaSerial = null,
    int? DurationSeconds = null,
    string? RoleSessionName = null,
    string? EndpointUrl = null,
    IReadOnlyList<KeyValuePair<string, string>>? CopiedSettings = null);

/// <summary>The outcome of editing a config file's text: the new text and the section before and after.</summary>
internal sealed record RoleProfileEdit(string Header, string NewText, bool Created, IReadOnlyList<string> Before, IReadOnlyList<string> After)
{
    public bool Changed => Created || !Before.SequenceEqual(After);
}

/// <summary>
/// Creates or updates one <c>[profile NAME]</c> section so it assumes a role, keeping every other byte of the file.
/// Keys not given keep their current values; <c>credential_source</c> is dropped because it cannot coexist with
/// <c>source_profile</c>.
/// </summary>
internal static class RoleProfileEditor
{
    private static readonly string[] SecretKeys = { "aws_secret_access_key", "aws_session_token" };

    /// <summary>
    /// Settings that say where and how a client reaches the service rather than who it is. A role profile is read on
    /// its own (the SDKs take only credentials from the source profile), so without these its STS and S3 requests
    /// go to AWS even when the source profile points at another server.
    /// </summary>
    private static readonly string[] ConnectionKeys =
    {
        "region", "endpoint_url", "services", "ignore_configured_endpoint_urls", "request_checksum_calculation",
        "response_checksum_validation", "ca_bundle", "retry_mode", "max_attempts",
    };

    public static void Validate(RoleProfileSpec spec)
    {
        Require(AwsNames.IsProfileName(spec.Name), spec.Name, $"'{spec.Name}' is not a usable profile name: use letters, digits and - _ . without spaces, brackets, #, ; or =.");
        Require(AwsNames.IsProfileName(spec.SourceProfile), spec.SourceProfile, $"'{spec.SourceProfile}' is not a usable source profile name.");
        Require(spec.Name != spec.SourceProfile, spec.SourceProfile, $"Profile '{spec.Name}' cannot be its own source profile; name the profile that holds your own credentials.");
        if (!AwsNames.IsRoleArn(spec.RoleArn))
        {
            throw new S3BackupException(ErrorId.InvalidRoleArn, ErrorCategory.InvalidArgument,
                $"'{spec.RoleArn}' is not a role ARN; expected arn:aws:iam::<12-digit account>:role/<role name>, e.g. arn:aws:iam::123456789012:role/BackupRole.",
                spec.RoleArn);
        }
        Require(spec.Region is null || AwsNames.IsRegion(spec.Region), spec.Region, $"'{spec.Region}' is not a region name (expected something like eu-west-2).");
        Require(spec.EndpointUrl is null || AwsNames.IsEndpointUrl(spec.EndpointUrl), spec.EndpointUrl,
            $"'{spec.EndpointUrl}' is not an absolute URL such as https://s3.example.com or http://127.0.0.1:8000.");
        Require(spec.ExternalId is null || AwsNames.IsExternalId(spec.ExternalId), spec.ExternalId, "The external id must be 2 to 1,224 characters of letters, digits and +=,.@:/-.");
        Require(spec.MfaSerial is null || AwsNames.IsMfaSerial(spec.MfaSerial), spec.MfaSerial, $"'{spec.MfaSerial}' is neither an MFA device ARN (arn:aws:iam::<account>:mfa/<name>) nor a hardware serial number.");
        Require(spec.DurationSeconds is null || AwsNames.IsRoleDuration(spec.DurationSeconds.Value), spec.DurationSeconds,
            $"-DurationSeconds must be from {AwsNames.MinRoleDurationSeconds} to {AwsNames.MaxRoleDurationSeconds}.");
        Require(spec.RoleSessionName is null || AwsNames.IsRoleSessionName(spec.RoleSessionName), spec.RoleSessionName,
            "The role session name must be 2 to 64 characters of letters, digits and +=,.@_-.");
    }

    public static RoleProfileEdit Apply(string originalText, RoleProfileSpec spec, string filePath)
    {
        Validate(spec);
        var document = IniDocument.Parse(originalText);
        var problem = document.Problems.FirstOrDefault();
        if (problem is not null)
        {
            throw new S3BackupException(ErrorId.ConfigFileMalformed, ErrorCategory.InvalidData,
                $"{filePath}, line {problem.LineNumber}: {problem.Reason}. Fix that line first; nothing was changed.", filePath);
        }

        var header = ProfileCatalog.ConfigHeaderFor(spec.Name);
        var sections = document.FindSections(header);
        if (sections.Count > 1)
        {
            var lines = string.Join(", ", sections.Select(section => (section.HeaderIndex + 1).ToString(CultureInfo.InvariantCulture)));
            throw new S3BackupException(ErrorId.ConfigSectionDuplicated, ErrorCategory.InvalidData,
                $"{filePath} defines [{header}] more than once (lines {lines}); merge them into one section, then run this again. Nothing was changed.",
                filePath);
        }

        var set = new List<KeyValuePair<string, string>>
        {
            new("role_arn", spec.RoleArn),
            new("source_profile", spec.SourceProfile),
        };
        AddIfGiven(set, "region", spec.Region);
        AddIfGiven(set, "endpoint_url", spec.EndpointUrl);
        set.AddRange((spec.CopiedSettings ?? Array.Empty<KeyValuePair<string, string>>()).Where(copied => set.All(given => given.Key != copied.Key)));
        AddIfGiven(set, "external_id", spec.ExternalId);
        AddIfGiven(set, "mfa_serial", spec.MfaSerial);
        AddIfGiven(set, "duration_seconds", spec.DurationSeconds?.ToString(CultureInfo.InvariantCulture));
        AddIfGiven(set, "role_session_name", spec.RoleSessionName);

        var edited = document.WithSection(header, set, new[] { "credential_source" });
        var before = sections.Count == 0 ? Array.Empty<string>() : SectionText(document, header);
        return new RoleProfileEdit(header, edited.ToString(), sections.Count == 0, before, SectionText(edited, header));
    }

    /// <summary>The connection settings of a profile's [profile NAME] section in the config file, in file order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ConnectionSettingsOf(string configText, string profileName)
    {
        var document = IniDocument.Parse(configText);
        return document.FindSections(ProfileCatalog.ConfigHeaderFor(profileName))
            .SelectMany(document.PropertiesOf)
            .Where(line => ConnectionKeys.Contains(line.Name) && !string.IsNullOrWhiteSpace(line.Value))
            .GroupBy(line => line.Name!, StringComparer.Ordinal)
            .Select(group => new KeyValuePair<string, string>(group.Key, group.First().Value!))
            .ToList();
    }

    /// <summary>
    /// The source profile's connection settings that the edited profile will not have: what to warn about when they
    /// were not copied.
    /// </summary>
    public static IReadOnlyList<string> MissingConnectionSettings(string configText, RoleProfileEdit edit, string sourceProfile)
    {
        var document = IniDocument.Parse(edit.NewText);
        var present = document.FindSections(edit.Header).SelectMany(document.PropertiesOf).Select(line => line.Name).ToList();
        return ConnectionSettingsOf(configText, sourceProfile).Select(setting => setting.Key).Where(key => !present.Contains(key)).ToList();
    }

    /// <summary>The section's lines for -WhatIf and verbose output, with secret values masked.</summary>
    private static IReadOnlyList<string> SectionText(IniDocument document, string header)
    {
        var section = document.FindSections(header)[0];
        var lines = new List<string>();
        for (var index = section.HeaderIndex; index < section.EndIndex; index++)
        {
            var line = document.Lines[index];
            if (line.Kind == IniLineKind.Blank)
            {
                continue;
            }
            lines.Add(line.Kind == IniLineKind.Property && SecretKeys.Contains(line.Name) ? $"{line.Name} = ********" : line.Text);
        }
        return lines;
    }

    private static void AddIfGiven(List<KeyValuePair<string, string>> set, string key, string? value)
    {
        if (value is not null)
        {
            set.Add(new KeyValuePair<string, string>(key, value));
        }
    }

    private static void Require(bool condition, object? target, string message)
    {
        if (!condition)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument, message, target);
        }
    }
}
