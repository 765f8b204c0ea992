using System.Security.Cryptography;
using System.Text;
using Skybridge.Core.Grounding;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Ledger;

public sealed class TextDigestTests
{
    [Fact]
    public void Sha256_IsLowerCaseHexOfTheUtf8Bytes_ForTheStandardVector()
    {
        // FIPS 180-2, appendix B.1.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TextDigest.Sha256("abc"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TextDigest.Sha256(""));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(340)]
    [InlineData(341)]
    [InlineData(1025)]
    [InlineData(100_000)]
    public void Sha256_GivesTheBytesTheLedgerAlwaysRecorded_ForShortAndLongNonAsciiText(int repeat)
    {
        // Three UTF-8 bytes per character: crosses the stack buffer's limit at 341 characters.
        var text = string.Concat(Enumerable.Repeat("€", repeat)) + "é\U0001F600";
        var before = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(before, TextDigest.Sha256(text));
        Assert.Equal(before, LedgerEntry.Digest(text));
        Assert.Equal(before, ManifestHash.Compute(text));
        Assert.Equal(before, DocumentVersion.Of(text));
    }
}
