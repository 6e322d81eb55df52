using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>What -Include/-Exclude patterns are matched against: the whole key (default) or its file name, and whether case counts.</summary>
[Flags]
internal enum KeyMatch
{
    WholeKey = 0,

    /// <summary>The part after the last '/': '*.cdf' or 'imap_mag_l1a*' as people write them for files.</summary>
    FileName = 1,

    IgnoreCase = 2,
}

/// <summary>
/// Which keys and times a listing keeps. A key is kept when it matches any -Include pattern (or none is given) and
/// no -Exclude pattern: exclude wins. Patterns match the whole key (or, with <see cref="KeyMatch.FileName"/>, the part after
/// the last '/'), case-sensitively like S3 keys unless <see cref="KeyMatch.IgnoreCase"/>: * is any run of characters
/// including /, ? one character, [abc] one of a set. Modified-after is inclusive, modified-before exclusive.
/// </summary>
internal sealed class KeyFilter
{
    private readonly string[] _includePatterns;
    private readonly string[] _excludePatterns;
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;
    private readonly DateTime? _modifiedAfter;
    private readonly DateTime? _modifiedBefore;

    public KeyFilter(IEnumerable<string>? include = null, IEnumerable<string>? exclude = null, DateTime? modifiedAfter = null, DateTime? modifiedBefore = null,
        KeyMatch match = KeyMatch.WholeKey)
    {
        _includePatterns = (include ?? Array.Empty<string>()).ToArray();
        _excludePatterns = (exclude ?? Array.Empty<string>()).ToArray();
        Match = match;
        _include = _includePatterns.Select(pattern => ToRegex(pattern, match)).ToArray();
        _exclude = _excludePatterns.Select(pattern => ToRegex(pattern, match)).ToArray();
        _modifiedAfter = modifiedAfter?.ToUniversalTime();
        _modifiedBefore = modifiedBefore?.ToUniversalTime();
    }

    public KeyMatch Match { get; }

    public bool HasPatterns => _include.Length > 0 || _exclude.Length > 0;

    /// <summary>The same patterns matched another way (no time limits): what the empty-selection warning tries.</summary>
    public KeyFilter MatchedBy(KeyMatch match) => new(_includePatterns, _excludePatterns, null, null, match);

    public static readonly KeyFilter All = new();

    public bool IsEmpty => _include.Length == 0 && _exclude.Length == 0 && _modifiedAfter is null && _modifiedBefore is null;

    public bool Keeps(string key)
    {
        var subject = (Match & KeyMatch.FileName) != 0 ? key.Substring(key.LastIndexOf('/') + 1) : key;
        return (_include.Length == 0 || _include.Any(pattern => pattern.IsMatch(subject))) && !_exclude.Any(pattern => pattern.IsMatch(subject));
    }

    public bool Keeps(S3ObjectRecord record) =>
        Keeps(record.Key)
        && (_modifiedAfter is null || record.LastModified?.ToUniversalTime() >= _modifiedAfter)
        && (_modifiedBefore is null || record.LastModified?.ToUniversalTime() < _modifiedBefore);

    internal static Regex ToRegex(string pattern, KeyMatch match = KeyMatch.WholeKey)
    {
        var regex = new StringBuilder("^");
        for (var index = 0; index < pattern.Length; index++)
        {
            var character = pattern[index];
            switch (character)
            {
                case '*':
                    regex.Append(".*");
                    break;
                case '?':
                    regex.Append('.');
                    break;
                case '[' when pattern.IndexOf(']', index + 1) is var close and > 0:
                    var set = pattern.Substring(index + 1, close - index - 1);
                    regex.Append('[').Append(set.StartsWith("!", StringComparison.Ordinal) ? "^" + Regex.Escape(set.Substring(1)) : Regex.Escape(set)).Append(']');
                    index = close;
                    break;
                default:
                    regex.Append(Regex.Escape(character.ToString()));
                    break;
            }
        }
        var options = RegexOptions.CultureInvariant | RegexOptions.Singleline | ((match & KeyMatch.IgnoreCase) != 0 ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(regex.Append('$').ToString(), options);
    }
}
