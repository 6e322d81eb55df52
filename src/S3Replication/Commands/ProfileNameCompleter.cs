using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using S3Replication.Core;
using S3Replication.Session;

namespace S3Replication.Commands;

/// <summary>Completes profile names from the shared config and credentials files.</summary>
public sealed class ProfileNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string> names;
        try
        {
            names = ProfileCatalog.Load(ProfileFiles.Locate(ProcessEnvironment.Instance)).ProfileNames;
        }
        catch (S3BackupException)
        {
            return Enumerable.Empty<CompletionResult>();
        }
        return Completions.Matching(names, wordToComplete);
    }
}
