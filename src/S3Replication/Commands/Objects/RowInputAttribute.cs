using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Lets a pipeline parameter take its rows however they come: typed as <typeparamref name="T"/> as they are, or read by
/// their property names from anything else — rows from Import-Csv (all text) or Import-Clixml (deserialized), or records
/// of another type that carry the same properties. An array (the parameter given by name) is read row by row.
/// </summary>
internal abstract class RowInputAttribute<T> : ArgumentTransformationAttribute where T : class
{
    /// <summary>The row from its properties by name, or an S3BackupException saying what the row lacks.</summary>
    private protected abstract T Read(Func<string, object?> property);

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            null or T or T[] => value,
            IList list when value is not string => list.Cast<object?>().Select(Row).ToArray(),
            _ => Row(inputData),
        };
    }

    private T? Row(object? input)
    {
        if ((input is PSObject wrapped ? wrapped.BaseObject : input) is var value && value is null or T)
        {
            return (T?)value;
        }
        var row = PSObject.AsPSObject(input);
        try
        {
            return Read(name => row.Properties[name]?.Value);
        }
        catch (Exception error) when (error is S3BackupException or FormatException or OverflowException)
        {
            throw new ArgumentTransformationMetadataException(error.Message, error);
        }
    }
}
