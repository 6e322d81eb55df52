using System;
using System.Linq;
using Amazon.S3.Model;
using S3Replication.Replication;

namespace S3Replication.Commands.Replication;

/// <summary>The text -WhatIf and -Confirm show: the bucket's configuration before and after the change.</summary>
internal static class ReplicationPreview
{
    public static string Describe(string action, string bucket, ReplicationConfiguration? before, ReplicationConfiguration? after)
    {
        static string Block(ReplicationConfiguration? configuration) =>
            string.Join(Environment.NewLine, ReplicationRules.Describe(configuration).Select(line => "    " + line));
        return $"{action} on bucket {bucket}.{Environment.NewLine}  Before:{Environment.NewLine}{Block(before)}" +
               $"{Environment.NewLine}  After:{Environment.NewLine}{Block(after)}";
    }
}
