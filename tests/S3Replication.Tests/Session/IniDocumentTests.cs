using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using S3Replication.Session;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Session;

public class IniDocumentTests
{
    private static readonly KeyValuePair<string, string>[] NoSets = Array.Empty<KeyValuePair<string, string>>();
    private static readonly string[] NoRemovals = Array.Empty<string>();

    [Theory]
    [InlineData("")]
    [InlineData("[default]\nregion = eu-west-2\n")]
    [InlineData("[default]\r\nregion = eu-west-2\r\n\r\n; comment\r\n[profile a]\r\noutput = json")]
    [InlineData("\uFEFF[default]\nregion=us-east-1")]
    [InlineData("# only a comment, no newline")]
    [InlineData("[profile x]\ns3 =\n  addressing_style = path\n\tmax_concurrent_requests = 20\nregion = us-east-1\n")]
    [InlineData("[ profile   spaced ]   # trailing comment\nkey=value=with=equals\n")]
    [InlineData("[profile a]\nk = v\n[profile a]\nk = w\n")]
    [InlineData("[profile ünïcødé]\nregion = ap-south-1\r\n\n\r\n")]
    [InlineData("garbage line\n[ok]\n")]
    public void Round_trips_byte_for_byte(string text) => Assert.Equal(text, IniDocument.Parse(text).ToString());

    [Fact]
    public void Any_text_round_trips()
    {
        var lineEnds = Pick("\n", "\r\n", "\r", "");
        Gen.Select(Gen.String, lineEnds).Array[0, 12]
            .Select(parts => string.Concat(parts.Select(part => part.Item1 + part.Item2)))
            .Sample(text => IniDocument.Parse(text).ToString() == text, iter: 2000);
    }

    [Theory]
    [InlineData("key = value\n", 1, "must follow a [section]")]
    [InlineData("[default]\nregion eu-west-2\n", 2, "expected 'name = value'")]
    [InlineData("[default]\n[broken\nk=v\n", 2, "section header")]
    [InlineData("[a]\nk=v\n[b] trailing\n", 3, "section header")]
    [InlineData("[a]\n= no key\n", 2, "expected 'name = value'")]
    public void Reports_the_first_malformed_line(string text, int line, string reason)
    {
        var problem = Assert.Single(IniDocument.Parse(text).Problems);
        Assert.Equal(line, problem.LineNumber);
        Assert.Contains(reason, problem.Reason);
    }

    [Fact]
    public void Reads_nested_settings_under_their_key()
    {
        var document = IniDocument.Parse("[profile x]\ns3 =\n  addressing_style = path\nsts =\n  endpoint_url = http://sts\n");
        var section = document.FindSections("profile x").Single();
        Assert.Equal("path", document.NestedOf(section, "s3").Single(line => line.Name == "addressing_style").Value);
        Assert.Equal("http://sts", document.NestedOf(section, "sts").Single().Value);
        Assert.Equal(new[] { "s3", "sts" }, document.PropertiesOf(section).Select(line => line.Name));
    }

    [Fact]
    public void Section_headers_match_whatever_the_spacing()
    {
        var document = IniDocument.Parse("[profile   a]\nk = v\n[ profile a ]\n");
        Assert.Equal(2, document.FindSections("profile a").Count);
    }

    [Fact]
    public void Updating_a_key_keeps_its_place_and_line_ending()
    {
        var text = "[default]\r\nregion = eu-west-1\r\n[profile r]\r\nregion = us-east-1\r\nrole_arn = old\r\noutput = json\r\n";
        var edited = IniDocument.Parse(text).WithSection("profile r", Set(("role_arn", "new")), NoRemovals).ToString();
        Assert.Equal(text.Replace("role_arn = old", "role_arn = new"), edited);
    }

    [Fact]
    public void New_keys_follow_the_sections_last_setting_before_trailing_comments_of_the_next()
    {
        var text = "[profile r]\nregion = us-east-1\n\n# about the next profile\n[profile s]\nk = v\n";
        var edited = IniDocument.Parse(text).WithSection("profile r", Set(("role_arn", "arn")), NoRemovals).ToString();
        Assert.Equal("[profile r]\nregion = us-east-1\nrole_arn = arn\n\n# about the next profile\n[profile s]\nk = v\n", edited);
    }

    [Fact]
    public void A_missing_section_is_appended_after_a_blank_line_keeping_crlf()
    {
        var text = "[default]\r\nregion = eu-west-2";
        var edited = IniDocument.Parse(text).WithSection("profile b", Set(("role_arn", "a"), ("source_profile", "default")), NoRemovals).ToString();
        // The file ended without a newline and still does.
        Assert.Equal("[default]\r\nregion = eu-west-2\r\n\r\n[profile b]\r\nrole_arn = a\r\nsource_profile = default", edited);
    }

    [Fact]
    public void An_empty_file_gets_just_the_section()
    {
        var edited = IniDocument.Parse("").WithSection("profile b", Set(("role_arn", "a")), NoRemovals).ToString();
        Assert.Equal("[profile b]\nrole_arn = a\n", edited);
    }

    [Fact]
    public void Removing_a_key_removes_its_nested_lines_too()
    {
        var text = "[profile r]\ncredential_source = Environment\ns3 =\n  addressing_style = path\nregion = x\n";
        var edited = IniDocument.Parse(text).WithSection("profile r", NoSets, new[] { "s3", "credential_source" }).ToString();
        Assert.Equal("[profile r]\nregion = x\n", edited);
    }

    [Fact]
    public void A_key_repeated_in_the_section_ends_up_with_one_value()
    {
        var text = "[profile r]\nsource_profile = old\nregion = x\nsource_profile = older\n";
        var edited = IniDocument.Parse(text).WithSection("profile r", Set(("source_profile", "new")), NoRemovals).ToString();
        Assert.Equal("[profile r]\nsource_profile = new\nregion = x\n", edited);
    }

    [Fact]
    public void A_bom_survives_an_edit()
    {
        var edited = IniDocument.Parse("\uFEFF[a]\nk = v\n").WithSection("a", Set(("k", "w")), NoRemovals).ToString();
        Assert.Equal("\uFEFF[a]\nk = w\n", edited);
    }

    [Fact]
    public void Refuses_to_edit_a_duplicated_section()
    {
        var document = IniDocument.Parse("[profile a]\nk = v\n[profile a]\nk = w\n");
        Assert.Throws<InvalidOperationException>(() => document.WithSection("profile a", Set(("k", "x")), NoRemovals));
    }

    [Fact]
    public void Editing_one_section_leaves_every_other_line_untouched()
    {
        var names = Pick("a", "b", "c", "d");
        var keys = Pick("region", "role_arn", "source_profile", "output", "s3");
        var line = Gen.OneOf(
            Gen.Const(""),
            Pick("# note", "; other note", "   # indented note"),
            Gen.Select(keys, Gen.String.AlphaNumeric, (key, value) => $"{key} = {value}"),
            Pick("  addressing_style = path", "\tnested = 1"));
        var section = Gen.Select(names, line.Array[0, 5], (name, body) => new[] { $"[profile {name}]" }.Concat(body));
        var document = Gen.Select(section.Array[0, 5], Pick("\n", "\r\n"), Gen.Bool,
            (sections, newline, finalNewline) =>
            {
                var text = string.Join(newline, sections.SelectMany(lines => lines));
                return finalNewline && text.Length > 0 ? text + newline : text;
            });
        var edit = Gen.Select(names, Gen.Select(keys, Gen.String.AlphaNumeric, (key, value) => (key, value)).Array[0, 3], keys.Array[0, 2]);

        Gen.Select(document, edit).Sample(sample =>
        {
            var (text, (name, sets, removals)) = sample;
            var header = "profile " + name;
            var original = IniDocument.Parse(text);
            var sections = original.FindSections(header);
            if (sections.Count > 1)
            {
                return;
            }
            var distinctSets = sets.GroupBy(pair => pair.key).Select(group => group.Last()).ToArray();
            var edited = original.WithSection(header, Set(distinctSets), removals);
            var reparsed = IniDocument.Parse(edited.ToString());

            var target = reparsed.FindSections(header).Single();
            var values = reparsed.PropertiesOf(target).ToList();
            foreach (var (key, value) in distinctSets.Where(pair => !removals.Contains(pair.key)))
            {
                Assert.Equal(value, Assert.Single(values, property => property.Name == key).Value);
            }
            Assert.DoesNotContain(values, property => removals.Contains(property.Name!));

            // Everything outside the edited section is the same sequence of lines as before.
            Assert.Equal(Outside(original, header).Select(l => l.Text), Outside(reparsed, header).Select(l => l.Text));
            Assert.Empty(reparsed.Problems);
            // A file that ended without a newline still does: no final newline is added behind the user's back.
            var endedWithoutNewline = original.Lines.Count > 0 && original.Lines[^1].Newline.Length == 0;
            Assert.Equal(endedWithoutNewline, reparsed.Lines[^1].Newline.Length == 0);
        }, iter: 3000);
    }

    private static IEnumerable<IniLine> Outside(IniDocument document, string header)
    {
        var section = document.FindSections(header).SingleOrDefault();
        return document.Lines.Where((line, index) =>
            (section is null || index < section.HeaderIndex || index >= section.EndIndex) && line.Kind != IniLineKind.Blank);
    }

    private static KeyValuePair<string, string>[] Set(params (string Key, string Value)[] pairs) =>
        pairs.Select(pair => new KeyValuePair<string, string>(pair.Key, pair.Value)).ToArray();
}
