using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Parameters that select the keys of a whole bucket (-Prefix, -Include, …) belong to every parameter set of a cmdlet that
/// also takes piped rows: were they only in the bucket set, giving one with piped rows would make PowerShell choose that set
/// and prompt for the bucket (or fail binding in a runbook). With rows they are refused here instead, with the way out.
/// </summary>
internal static class PipedSelection
{
    /// <param name="upstream">The command that makes such rows, named in the advice.</param>
    public static void Refuse(InvocationInfo invocation, IEnumerable<string> selection, string upstream)
    {
        var given = selection.Where(invocation.BoundParameters.ContainsKey).Select(name => "-" + name).ToList();
        if (given.Count == 0)
        {
            return;
        }
        var one = given.Count == 1;
        throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
            $"{string.Join(", ", given)} select{(one ? "s" : "")} the keys of whole buckets, but rows were piped in: the rows are the selection. " +
            $"Give {(one ? "it" : "them")} to the command that makes the rows ({upstream} … {given[0]} … | {invocation.MyCommand.Name}), or name the " +
            "bucket instead of piping. Nothing was changed.", given[0]);
    }
}
