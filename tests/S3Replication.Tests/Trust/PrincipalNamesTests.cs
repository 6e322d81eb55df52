using S3Replication.Trust;
using Xunit;

namespace S3Replication.Tests.Trust;

public class PrincipalNamesTests
{
    [Theory]
    [InlineData("arn:aws:iam::123456789012:user/hartnett", "User")]
    [InlineData("arn:aws:iam::123456789012:user/division/team/hartnett", "User")]
    [InlineData("arn:aws:iam:::user/ops", "User")]
    [InlineData("arn:aws:iam::123456789012:role/SdsDataManager-dev-BackupRole", "Role")]
    [InlineData("arn:aws-us-gov:iam::123456789012:role/ops", "Role")]
    [InlineData("arn:aws:sts::123456789012:assumed-role/Admin/jane@example.com", "AssumedRole")]
    [InlineData("arn:aws:iam::123456789012:root", "AccountRoot")]
    [InlineData("123456789012", "AccountId")]
    [InlineData("*", "Everyone")]
    [InlineData("s3.amazonaws.com", "Service")]
    [InlineData("arn:aws:iam::12345:user/x", "Invalid")]
    [InlineData("arn:aws:iam::123456789012:group/admins", "Invalid")]
    [InlineData("hartnett", "Invalid")]
    [InlineData("arn:aws:iam::123456789012:user/has space", "Invalid")]
    public void Classifies_principals(string principal, string kind) => Assert.Equal(System.Enum.Parse<PrincipalKind>(kind), PrincipalNames.Classify(principal));

    [Theory]
    [InlineData("arn:aws:sts::123456789012:assumed-role/Admin/jane", "arn:aws:iam::123456789012:role/Admin")]
    [InlineData("arn:aws:sts:::assumed-role/BackupRole/S3Replication-1", "arn:aws:iam:::role/BackupRole")]
    [InlineData("arn:aws:iam::123456789012:user/hartnett", "arn:aws:iam::123456789012:user/hartnett")]
    public void An_assumed_role_session_stands_for_its_role(string arn, string expected) => Assert.Equal(expected, PrincipalNames.RoleOfSession(arn));

    [Theory]
    [InlineData("AIDAJQABLZS4A3QDU576Q", true)]
    [InlineData("AROAJ2UCCR6DPCEXAMPLE", true)]
    [InlineData("arn:aws:iam::123456789012:user/a", false)]
    [InlineData("123456789012", false)]
    public void Recognises_unique_ids_of_deleted_principals(string value, bool expected) => Assert.Equal(expected, PrincipalNames.IsUniqueId(value));

    [Fact]
    public void Diffs_whole_documents_line_by_line()
    {
        var diff = LineDiff.Of(new[] { "{", "  \"a\": 1,", "  \"b\": 2", "}" }, new[] { "{", "  \"a\": 1,", "  \"b\": 3,", "  \"c\": 4", "}" });
        Assert.Equal(new[] { "  {", "    \"a\": 1,", "-   \"b\": 2", "+   \"b\": 3,", "+   \"c\": 4", "  }" }, diff);
    }
}
