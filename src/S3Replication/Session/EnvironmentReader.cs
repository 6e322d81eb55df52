using System;
using System.Collections.Generic;

namespace S3Replication.Session;

/// <summary>Environment variables and the home folder, injectable so resolution rules can be tested as a table.</summary>
internal interface IEnvironmentReader
{
    string? Get(string name);
    string HomeDirectory { get; }
}

internal sealed class ProcessEnvironment : IEnvironmentReader
{
    public static readonly ProcessEnvironment Instance = new();

    public string? Get(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public string HomeDirectory =>
        Get("HOME") ?? Get("USERPROFILE") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}

internal sealed class FixedEnvironment : IEnvironmentReader
{
    private readonly IReadOnlyDictionary<string, string> _values;

    public FixedEnvironment(IReadOnlyDictionary<string, string> values, string homeDirectory)
    {
        _values = values;
        HomeDirectory = homeDirectory;
    }

    public string? Get(string name) => _values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
    public string HomeDirectory { get; }
}
