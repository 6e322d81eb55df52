using System.Collections.Generic;
using System.Text;

namespace S3Replication.Core;

/// <summary>The fields of one CSV row as AWS writes them (RFC 4180): quoted fields may hold commas and doubled quotes.</summary>
internal static class CsvRow
{
    public static List<string> Fields(string row)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var index = 0; index < row.Length; index++)
        {
            var character = row[index];
            if (quoted)
            {
                if (character == '"' && index + 1 < row.Length && row[index + 1] == '"')
                {
                    field.Append('"');
                    index++;
                }
                else if (character == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(character);
                }
            }
            else if (character == '"')
            {
                quoted = true;
            }
            else if (character == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(character);
            }
        }
        fields.Add(field.ToString());
        return fields;
    }
}
