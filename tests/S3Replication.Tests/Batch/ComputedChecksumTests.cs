using System.Linq;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Batch;

/// <summary>
/// The checksum column of an S3ComputeObjectChecksum completion report. AWS documents no example of its ResultMessage
/// (see ComputedChecksumMessage): the shape the S3 Control stand-in writes (checksum_base64, checksum_hex,
/// checksumAlgorithm, checksumType, etag, as code written against real reports reads it) comes first, then the variants a
/// defensive reader must take, and what it must never take for a checksum.
/// </summary>
public class ComputedChecksumTests
{
    // Catalogue check values ("123456789") and digests of "hello", computed independently (tests/standins/checksums.py, hashlib).
    private const string Crc64Hex = "ae8b14860a799888";
    private const string Crc64Base64 = "rosUhgp5mIg=";
    private const string Sha256Hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    private const string Sha256Base64 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";

    private static ComputedChecksum? Parse(string? message, string algorithm = "CRC64NVME") => ComputedChecksumMessage.Parse(message, algorithm, out _);

    private static string? Problem(string? message, string algorithm = "CRC64NVME")
    {
        Assert.Null(ComputedChecksumMessage.Parse(message, algorithm, out var problem));
        return problem;
    }

    [Fact]
    public void Reads_the_shape_the_stand_in_writes()
    {
        var checksum = Parse($$"""{"checksum_base64":"{{Crc64Base64}}","checksum_hex":"{{Crc64Hex}}","checksumAlgorithm":"CRC64NVME","checksumType":"FULL_OBJECT","etag":"d41d8cd98f00b204e9800998ecf8427e"}""");
        Assert.NotNull(checksum);
        Assert.Equal(("CRC64NVME", Crc64Hex, Crc64Base64), (checksum!.Algorithm, Hex.Of(checksum.Value), checksum.Base64));
    }

    [Theory]
    [InlineData($$"""{"checksum_base64":"{{Sha256Base64}}"}""")]
    [InlineData($$"""{"checksum_hex":"{{Sha256Hex}}"}""")]
    [InlineData("""{"checksum_hex":"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824","checksumAlgorithm":"sha256"}""")]
    [InlineData($$"""{"ChecksumBase64":"{{Sha256Base64}}","ChecksumAlgorithm":"SHA256","ChecksumType":"FULL_OBJECT"}""")]
    [InlineData($$"""{"checksumValue":"{{Sha256Hex}}"}""")]
    [InlineData($$"""{"checksum":"{{Sha256Base64}}","algorithm":"SHA256"}""")]
    [InlineData($$"""{ "checksum_base64" : "{{Sha256Base64}}", "checksum_hex": "{{Sha256Hex}}", "size": 5 }""")]
    [InlineData(Sha256Base64)]
    [InlineData(Sha256Hex)]
    [InlineData("  " + Sha256Hex + "\r\n")]
    public void Reads_the_checksum_in_base64_or_hex_under_any_spelling_of_its_name(string message)
    {
        var checksum = Parse(message, "SHA256");
        Assert.NotNull(checksum);
        Assert.Equal(Sha256Hex, Hex.Of(checksum!.Value));
        Assert.Equal("SHA256", checksum.Algorithm);
    }

    [Theory]
    [InlineData("CRC32", "cbf43926")]
    [InlineData("CRC32", "y/Q5Jg==")]
    [InlineData("CRC32C", "e3069283")]
    public void Tells_hex_from_base64_by_the_digest_length_even_where_both_take_eight_characters(string algorithm, string bare)
    {
        var checksum = Parse(bare, algorithm);
        Assert.NotNull(checksum);
        Assert.Equal(4, checksum!.Value.Length);
        if (algorithm == "CRC32")
        {
            Assert.Equal("cbf43926", Hex.Of(checksum.Value));
        }
    }

    [Theory]
    [InlineData(null, "no ResultMessage")]
    [InlineData("", "no ResultMessage")]
    [InlineData("Successful", "neither JSON nor")]
    [InlineData("{\"checksum_base64\":", "not valid JSON")]
    [InlineData("[\"rosUhgp5mIg=\"]", "neither JSON nor")]
    [InlineData("{\"etag\":\"d41d8cd98f00b204e9800998ecf8427e\",\"checksumAlgorithm\":\"CRC64NVME\"}", "names no checksum")]
    [InlineData("{\"checksum_base64\":\"" + Crc64Base64 + "\",\"checksum_hex\":\"0000000000000000\"}", "two different checksums")]
    [InlineData("{\"checksum_base64\":\"XUFAKrxLKna5cZ2REBfFkg==\"}", "not a CRC64NVME checksum")]
    [InlineData("{\"checksum_base64\":\"not base64!\"}", "not a CRC64NVME checksum")]
    [InlineData("{\"checksum_base64\":\"" + Crc64Base64 + "\",\"checksumAlgorithm\":\"SHA256\"}", "asked for CRC64NVME")]
    [InlineData("{\"checksum_hex\":\"" + Crc64Hex + "-2\"}", "not a CRC64NVME checksum")]
    [InlineData("{\"checksum_base64\":\"" + Crc64Base64 + "\",\"checksumType\":\"COMPOSITE\"}", "asked for FULL_OBJECT")]
    public void Never_takes_anything_else_for_a_checksum_and_says_why(string? message, string why) =>
        Assert.Contains(why, Problem(message));

    [Fact]
    public void Two_checksums_are_the_same_only_by_the_same_bytes_and_algorithm()
    {
        var crc = new ComputedChecksum("CRC64NVME", Hex.Parse(Crc64Hex));
        Assert.True(crc.SameAs(new ComputedChecksum("crc64nvme", Hex.Parse(Crc64Hex))));
        Assert.False(crc.SameAs(new ComputedChecksum("CRC64NVME", Hex.Parse("ae8b14860a799889"))));
        Assert.False(crc.SameAs(new ComputedChecksum("SHA256", Hex.Parse(Crc64Hex))));
        // A report that names no algorithm gives the one the job asked for, as every other message does: upper case.
        Assert.Equal("SHA256", Parse(Sha256Hex, "sha256")!.Algorithm);
        Assert.Equal("SHA256", Parse($$"""{"checksum_hex":"{{Sha256Hex}}"}""", "sha256")!.Algorithm);
    }

    [Fact]
    public void A_report_of_every_task_gives_each_key_its_checksum_or_its_failure()
    {
        // As S3 writes a result file: keys URL-encoded ("a,b" and a quote inside), the JSON message quoted with its quotes
        // doubled (it holds commas), HTTPStatusCode before ErrorCode, CRLF line ends; the backup's rows name their version.
        const string csv =
            "data,dir%2Fa%2Cb%20%22q%22.csv,,succeeded,200,,\"{\"\"checksum_base64\"\":\"\"" + Crc64Base64 + "\"\",\"\"checksum_hex\"\":\"\"" + Crc64Hex +
            "\"\",\"\"checksumAlgorithm\"\":\"\"CRC64NVME\"\",\"\"checksumType\"\":\"\"FULL_OBJECT\"\",\"\"etag\"\":\"\"e\"\"}\"\r\n" +
            "data,x%2By%25.csv,3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY,succeeded,200,,\"{\"\"checksum_base64\"\":\"\"AAAAAAAAAAA=\"\"}\"\r\n" +
            "data,%C3%BCn%C3%AF.csv,,failed,403,AccessDenied,Access Denied\r\n" +
            "data,gone.csv,,failed,404,NoSuchKey,\"The specified key does not exist, or its version does not.\"\r\n" +
            "data,odd.csv,,succeeded,200,,Successful\r\n";

        var tasks = BatchReport.Rows(csv).ToDictionary(row => row.Key, row => ChecksumTask.From(row, "CRC64NVME"));

        Assert.Equal(new[] { "dir/a,b \"q\".csv", "x+y%.csv", "ünï.csv", "gone.csv", "odd.csv" }, tasks.Keys);
        Assert.Equal(Crc64Base64, tasks["dir/a,b \"q\".csv"].Checksum!.Base64);
        Assert.Equal("AAAAAAAAAAA=", tasks["x+y%.csv"].Checksum!.Base64);
        Assert.Equal(("AccessDenied", "task failed: 403 AccessDenied (Access Denied)"), (tasks["ünï.csv"].ErrorCode, tasks["ünï.csv"].Problem));
        Assert.Null(tasks["ünï.csv"].Checksum);
        Assert.Equal("task failed: 404 NoSuchKey (The specified key does not exist, or its version does not.)", tasks["gone.csv"].Problem);
        Assert.Null(tasks["odd.csv"].Checksum);
        Assert.Null(tasks["odd.csv"].ErrorCode);
        Assert.Contains("neither JSON nor a CRC64NVME checksum", tasks["odd.csv"].Problem);
    }

    [Fact]
    public void Hex_reads_back_what_it_writes()
    {
        var bytes = Enumerable.Range(0, 256).Select(value => (byte)value).ToArray();
        Assert.Equal(bytes, Hex.Parse(Hex.Of(bytes)));
        Assert.Equal(bytes, Hex.Parse(Hex.Of(bytes).ToUpperInvariant()));
    }
}
