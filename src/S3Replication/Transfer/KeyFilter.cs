using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// Which keys and times a listing keeps. A key is kept when it matches any -Include pattern (or none is given) and
/// no -Exclude pattern: exclude wins. Patterns match the whole key, case-sensitively like S3 keys: * is any run of
/// characters including /, ? one character, [abc] one of a set. Modified-after is inclusive, modified-before exclusive.
/// </summary>
internal sealed class KeyFilter
{
    private readonly Regex[] _include;
    private readonly Regex[] _exclude;
    private readonly DateTime? _modifiedAfter;
    private readonly DateTime? _modifiedBefore;

    public KeyFilter(IEnumerable<string>? include = null, IEnumerable<string>? exclude = null, DateTime? modifiedAfter = null, DateTime? modifiedBefore = null)
    {
        _include = (include ?? Array.Empty<string>()).Select(ToRegex).ToArray();
        _exclude = (exclude ?? Array.Empty<string>()).Select(ToRegex).ToArray();
        _modifiedAfter = modifiedAfter?.ToUniversalTime();
        _modifiedBefore = modifiedBefore?.ToUniversalTime();
    }

    public static readonly KeyFilter All = new();

    public bool IsEmpty => _include.Length == 0 && _exclude.Length == 0 && _modifiedAfter is null && _modifiedBefore is null;

    public bool Keeps(string key) =>
        (_include.Length == 0 || _include.Any(pattern => pattern.IsMatch(key))) && !_exclude.Any(pattern => pattern.IsMatch(key));

    public bool Keeps(S3ObjectRecord record) =>
        Keeps(record.Key)
        && (_modifiedAfter is null || record.LastModified?.ToUniversalTime() >= _modifiedAfter)
        && (_modifiedBefore is null || record.LastModified?.ToUniversalTime() < _modifiedBefore);

    internal static Regex ToRegex(string pattern)
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
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
