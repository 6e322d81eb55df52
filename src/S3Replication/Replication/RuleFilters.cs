using System.Collections.Generic;
using System.Linq;
using Amazon.S3.Model;

namespace S3Replication.Replication;

/// <summary>A rule's filter as (prefix, tags), in whichever of S3's three shapes the combination needs.</summary>
internal static class RuleFilters
{
    /// <summary>Prefix alone (also "" for all objects), one tag alone, or an And of prefix and tags.</summary>
    public static ReplicationRuleFilter Build(string? prefix, IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count == 0)
        {
            return new ReplicationRuleFilter { Prefix = prefix ?? "" };
        }
        if (tags.Count == 1 && string.IsNullOrEmpty(prefix))
        {
            var tag = tags.Single();
            return new ReplicationRuleFilter { Tag = new Tag { Key = tag.Key, Value = tag.Value } };
        }
        return new ReplicationRuleFilter
        {
            And = new ReplicationRuleAndOperator
            {
                Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
                Tags = tags.Select(pair => new Tag { Key = pair.Key, Value = pair.Value }).ToList(),
            },
        };
    }

#pragma warning disable CS0618 // V1 rules carry a rule-level Prefix: read it to keep such rules intact and to detect them.
    public static (string? Prefix, IReadOnlyDictionary<string, string> Tags) Read(ReplicationRule rule)
    {
        var filter = rule.Filter;
        if (filter is null)
        {
            return (rule.Prefix, new Dictionary<string, string>());
        }
        if (filter.And is { } and)
        {
            return (and.Prefix, (and.Tags ?? new List<Tag>()).ToDictionary(tag => tag.Key, tag => tag.Value ?? ""));
        }
        var tags = filter.Tag is { } single ? new Dictionary<string, string> { [single.Key] = single.Value ?? "" } : new Dictionary<string, string>();
        return (filter.Prefix, tags);
    }
#pragma warning restore CS0618
}
