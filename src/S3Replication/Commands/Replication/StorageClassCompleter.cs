using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using S3Replication.Replication;

namespace S3Replication.Commands.Replication;

/// <summary>Completes the storage classes a replication rule accepts (validated by the rule itself).</summary>
public sealed class StorageClassCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(ReplicationRuleSpec.StorageClasses, wordToComplete);
}
