using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// The columns of an inventory's data files, in their order: a CSV manifest's fileSchema names them
/// ("Bucket, Key, VersionId, IsLatest, ..."), a Parquet one gives a message type whose fields are in snake case
/// ("required binary key (STRING); optional binary version_id (STRING); ...").
/// </summary>
internal sealed class InventorySchema
{
    private static readonly Dictionary<string, InventoryField> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Bucket"] = InventoryField.Bucket,
        ["Key"] = InventoryField.Key,
        ["VersionId"] = InventoryField.VersionId,
        ["IsLatest"] = InventoryField.IsLatest,
        ["IsDeleteMarker"] = InventoryField.IsDeleteMarker,
        ["Size"] = InventoryField.Size,
        ["LastModifiedDate"] = InventoryField.LastModifiedDate,
        ["ETag"] = InventoryField.ETag,
        ["StorageClass"] = InventoryField.StorageClass,
        ["ChecksumAlgorithm"] = InventoryField.ChecksumAlgorithm,
    };

    private static readonly Regex ParquetField = new(@"(?:required|optional|repeated)\s+\w+\s+(?<name>\w+)", RegexOptions.CultureInvariant);

    private InventorySchema(IReadOnlyList<InventoryField> columns) => Columns = columns;

    public IReadOnlyList<InventoryField> Columns { get; }

    public bool Has(InventoryField field) => Columns.Contains(field);

    /// <summary>A column's field by its CSV name or its Parquet (snake case) name.</summary>
    public static InventoryField FieldNamed(string name) =>
        Names.TryGetValue(name.Replace("_", ""), out var field) ? field : InventoryField.Other;

    public static InventorySchema FromCsv(string fileSchema) =>
        new(fileSchema.Split(',').Select(name => FieldNamed(name.Trim())).ToList());

    public static InventorySchema FromParquet(string fileSchema) =>
        new(ParquetField.Matches(fileSchema).Cast<Match>().Select(match => FieldNamed(match.Groups["name"].Value)).ToList());
}
