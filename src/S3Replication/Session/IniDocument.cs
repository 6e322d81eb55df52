using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace S3Replication.Session;

internal enum IniLineKind { Blank, Comment, Section, Property, Nested, Invalid }

/// <summary>One physical line, kept with its exact text and line ending so an unedited line writes back byte-equal.</summary>
internal sealed class IniLine
{
    public IniLine(string text, string newline, IniLineKind kind, string? name = null, string? value = null)
    {
        Text = text;
        Newline = newline;
        Kind = kind;
        Name = name;
        Value = value;
    }

    public string Text { get; }
    public string Newline { get; }
    public IniLineKind Kind { get; }

    /// <summary>Section header (inside the brackets, trimmed) or property key.</summary>
    public string? Name { get; }
    public string? Value { get; }
}

internal sealed record IniProblem(int LineNumber, string Text, string Reason);

/// <summary>A section as it appears in the file: its header line and the lines up to the next header.</summary>
internal sealed record IniSection(string Header, int HeaderIndex, int EndIndex);

/// <summary>
/// The AWS shared config/credentials file format, parsed without losing a byte: comments, blank lines, ordering,
/// CRLF or LF per line, a missing final newline and a UTF-8 BOM all survive an edit of an unrelated section.
/// </summary>
internal sealed class IniDocument
{
    private const string Bom = "\uFEFF";
    private readonly List<IniLine> _lines;
    private readonly bool _hasBom;

    private IniDocument(List<IniLine> lines, bool hasBom)
    {
        _lines = lines;
        _hasBom = hasBom;
    }

    public IReadOnlyList<IniLine> Lines => _lines;

    public static IniDocument Parse(string text)
    {
        var hasBom = text.StartsWith(Bom, StringComparison.Ordinal);
        if (hasBom)
        {
            text = text.Substring(Bom.Length);
        }

        var lines = new List<IniLine>();
        var position = 0;
        var inSection = false;
        var afterProperty = false;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            string raw, newline;
            if (end < 0)
            {
                raw = text.Substring(position);
                newline = "";
                position = text.Length;
            }
            else
            {
                var crlf = end > position && text[end - 1] == '\r';
                raw = text.Substring(position, (crlf ? end - 1 : end) - position);
                newline = crlf ? "\r\n" : "\n";
                position = end + 1;
            }

            var line = Classify(raw, newline, inSection, afterProperty);
            inSection |= line.Kind == IniLineKind.Section;
            afterProperty = line.Kind is IniLineKind.Property or IniLineKind.Nested
                || (afterProperty && line.Kind == IniLineKind.Comment);
            lines.Add(line);
        }
        return new IniDocument(lines, hasBom);
    }

    private static IniLine Classify(string raw, string newline, bool inSection, bool afterProperty)
    {
        var trimmed = raw.Trim();
        if (trimmed.Length == 0)
        {
            return new IniLine(raw, newline, IniLineKind.Blank);
        }
        if (trimmed[0] is '#' or ';')
        {
            return new IniLine(raw, newline, IniLineKind.Comment);
        }
        if (trimmed[0] == '[')
        {
            var close = trimmed.IndexOf(']');
            var header = close > 1 ? trimmed.Substring(1, close - 1).Trim() : "";
            var rest = close > 0 ? trimmed.Substring(close + 1).TrimStart() : "x";
            return header.Length > 0 && (rest.Length == 0 || rest[0] is '#' or ';')
                ? new IniLine(raw, newline, IniLineKind.Section, header)
                : new IniLine(raw, newline, IniLineKind.Invalid, value: "a section header must look like [name] or [profile name]");
        }

        var indented = char.IsWhiteSpace(raw[0]);
        var equals = trimmed.IndexOf('=');
        if (indented && afterProperty)
        {
            // Nested settings (e.g. "s3 =" then "  addressing_style = path") or a continued value.
            return equals > 0
                ? new IniLine(raw, newline, IniLineKind.Nested, trimmed.Substring(0, equals).Trim(), trimmed.Substring(equals + 1).Trim())
                : new IniLine(raw, newline, IniLineKind.Nested, value: trimmed);
        }
        if (equals <= 0)
        {
            return new IniLine(raw, newline, IniLineKind.Invalid, value: "expected 'name = value', a [section] header, or a comment starting with # or ;");
        }
        if (!inSection)
        {
            return new IniLine(raw, newline, IniLineKind.Invalid, value: "a setting must follow a [section] header");
        }
        return new IniLine(raw, newline, IniLineKind.Property, trimmed.Substring(0, equals).Trim(), trimmed.Substring(equals + 1).Trim());
    }

    public IReadOnlyList<IniProblem> Problems =>
        _lines.Select((line, index) => (line, index))
            .Where(entry => entry.line.Kind == IniLineKind.Invalid)
            .Select(entry => new IniProblem(entry.index + 1, entry.line.Text, entry.line.Value ?? ""))
            .ToList();

    public IReadOnlyList<IniSection> Sections
    {
        get
        {
            var sections = new List<IniSection>();
            for (var index = 0; index < _lines.Count; index++)
            {
                if (_lines[index].Kind != IniLineKind.Section)
                {
                    continue;
                }
                var end = index + 1;
                while (end < _lines.Count && _lines[end].Kind != IniLineKind.Section)
                {
                    end++;
                }
                sections.Add(new IniSection(_lines[index].Name!, index, end));
            }
            return sections;
        }
    }

    public IReadOnlyList<IniSection> FindSections(string header) =>
        Sections.Where(section => SameHeader(section.Header, header)).ToList();

    /// <summary>"profile  x" and "profile x" name the same section; so does any spacing inside the brackets.</summary>
    private static bool SameHeader(string a, string b) => string.Equals(NormalizeHeader(a), NormalizeHeader(b), StringComparison.Ordinal);

    internal static string NormalizeHeader(string header) =>
        string.Join(" ", header.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Top-level settings of a section, in file order.</summary>
    public IEnumerable<IniLine> PropertiesOf(IniSection section)
    {
        for (var index = section.HeaderIndex + 1; index < section.EndIndex; index++)
        {
            if (_lines[index].Kind == IniLineKind.Property)
            {
                yield return _lines[index];
            }
        }
    }

    /// <summary>Nested settings under a top-level key, e.g. <c>s3</c> → <c>addressing_style</c>.</summary>
    public IEnumerable<IniLine> NestedOf(IniSection section, string key)
    {
        var inside = false;
        for (var index = section.HeaderIndex + 1; index < section.EndIndex; index++)
        {
            var line = _lines[index];
            if (line.Kind == IniLineKind.Property)
            {
                inside = string.Equals(line.Name, key, StringComparison.Ordinal);
            }
            else if (inside && line.Kind == IniLineKind.Nested && line.Name is not null)
            {
                yield return line;
            }
        }
    }

    /// <summary>
    /// Sets and removes top-level keys of one section, creating it at the end of the file when absent. Lines that
    /// are not touched keep their exact text; a replaced key keeps its position; new keys follow the section's
    /// last setting; the section must appear only once (the caller reports duplicates).
    /// </summary>
    public IniDocument WithSection(string header, IReadOnlyList<KeyValuePair<string, string>> set, IReadOnlyCollection<string> remove)
    {
        var sections = FindSections(header);
        if (sections.Count > 1)
        {
            throw new InvalidOperationException($"Section [{header}] appears {sections.Count} times.");
        }

        var newline = DominantNewline();
        var output = new List<IniLine>(_lines.Count + set.Count + 2);
        if (sections.Count == 0)
        {
            output.AddRange(_lines);
            if (output.Count > 0 && output[output.Count - 1].Kind != IniLineKind.Blank)
            {
                output.Add(new IniLine("", newline, IniLineKind.Blank));
            }
            output.Add(new IniLine($"[{header}]", newline, IniLineKind.Section, header));
            output.AddRange(set.Where(pair => !remove.Contains(pair.Key)).Select(pair => PropertyLine(pair.Key, pair.Value, newline)));
            return new IniDocument(KeepFinalNewlineAbsence(output, newline), _hasBom);
        }

        var section = sections[0];
        var bodyEnd = section.HeaderIndex + 1;
        for (var index = section.HeaderIndex + 1; index < section.EndIndex; index++)
        {
            if (_lines[index].Kind is IniLineKind.Property or IniLineKind.Nested)
            {
                bodyEnd = index + 1;
            }
        }

        var pending = set.Where(pair => !remove.Contains(pair.Key)).ToList();
        var skippingNested = false;
        var written = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index <= _lines.Count; index++)
        {
            if (index == bodyEnd)
            {
                output.AddRange(pending.Select(pair => PropertyLine(pair.Key, pair.Value, newline)));
            }
            if (index == _lines.Count)
            {
                break;
            }

            var line = _lines[index];
            var inSection = index > section.HeaderIndex && index < section.EndIndex;
            if (!inSection)
            {
                output.Add(line);
                continue;
            }
            if (line.Kind == IniLineKind.Nested && skippingNested)
            {
                continue;
            }
            skippingNested = false;
            if (line.Kind != IniLineKind.Property)
            {
                output.Add(line);
            }
            else if (remove.Contains(line.Name!) || written.Contains(line.Name!))
            {
                // A key set here must end up with one unambiguous value, so a repeated key's later lines go too.
                skippingNested = true;
            }
            else if (pending.FindIndex(pair => pair.Key == line.Name) is var match and >= 0)
            {
                output.Add(PropertyLine(line.Name!, pending[match].Value, line.Newline.Length > 0 ? line.Newline : newline));
                written.Add(line.Name!);
                pending.RemoveAt(match);
            }
            else
            {
                output.Add(line);
            }
        }
        return new IniDocument(KeepFinalNewlineAbsence(output, newline), _hasBom);
    }

    /// <summary>
    /// A file that ended without a newline still does after an edit; a line that used to be last but no longer is
    /// gets one, so two settings never run together.
    /// </summary>
    private List<IniLine> KeepFinalNewlineAbsence(List<IniLine> output, string newline)
    {
        var endedWithoutNewline = _lines.Count > 0 && _lines[_lines.Count - 1].Newline.Length == 0;
        for (var index = 0; index < output.Count - 1; index++)
        {
            var line = output[index];
            if (line.Newline.Length == 0)
            {
                output[index] = new IniLine(line.Text, newline, line.Kind, line.Name, line.Value);
            }
        }
        if (endedWithoutNewline && output.Count > 0)
        {
            // An empty last line without a newline is no line at all; the newline before it would become the end.
            while (output.Count > 1 && output[output.Count - 1].Text.Length == 0)
            {
                output.RemoveAt(output.Count - 1);
            }
            var last = output[output.Count - 1];
            output[output.Count - 1] = new IniLine(last.Text, "", last.Kind, last.Name, last.Value);
        }
        return output;
    }

    private static IniLine PropertyLine(string key, string value, string newline) =>
        new($"{key} = {value}", newline, IniLineKind.Property, key, value);

    private string DominantNewline()
    {
        var crlf = _lines.Count(line => line.Newline == "\r\n");
        var lf = _lines.Count(line => line.Newline == "\n");
        return crlf > lf ? "\r\n" : "\n";
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        if (_hasBom)
        {
            text.Append(Bom);
        }
        foreach (var line in _lines)
        {
            text.Append(line.Text).Append(line.Newline);
        }
        return text.ToString();
    }
}
