using System.Security.Cryptography;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

public sealed class Sha256LeavesTests
{
    [Fact]
    public void Hash_GivesTheSameBytesAsDotNetsSha256_ForLeavesAndNodes()
    {
        var random = new Random(7);
        foreach (var length in new[] { 0, 1, 31, 32, 55, 56, 63, 64, 65, 490, 4096, 100_000 })
        {
            var body = new byte[length];
            random.NextBytes(body);
            Assert.Equal(SHA256.HashData([0x00, .. body]), MerkleHash.Leaf(body));
        }

        var left = SHA256.HashData("left"u8);
        var right = SHA256.HashData("right"u8);
        Assert.Equal(SHA256.HashData([0x01, .. left, .. right]), MerkleHash.Node(left, right));
    }

    [Fact]
    public void IsNative_OnLinuxUnlessThePortableSwitchIsSet_AndNeverOtherwise()
    {
        // The test machines are Debian with OpenSSL 3: if this ever falls back silently, audits get much slower. Where
        // the portable switch is set, or off Linux, the native path must not be taken (a FIPS-only host relies on it).
        var portable = Environment.GetEnvironmentVariable("SKYBRIDGE_PORTABLE_SHA256") == "1";
        var expected = OperatingSystem.IsLinux() && !portable;
        Assert.True(expected == Sha256Leaves.IsNative,
            $"Linux: {OperatingSystem.IsLinux()}, SKYBRIDGE_PORTABLE_SHA256=1: {portable}; expected the {(expected ? "OpenSSL" : ".NET")} SHA-256, got the {(Sha256Leaves.IsNative ? "OpenSSL" : ".NET")} one.");
    }

    [Fact]
    public void Hash_IsSafeFromManyThreadsAtOnce()
    {
        var inputs = Enumerable.Range(0, 2000).Select(i => BitConverter.GetBytes(i)).ToArray();
        var expected = inputs.Select(i => SHA256.HashData([0x00, .. i])).ToArray();
        var actual = new byte[inputs.Length][];
        Parallel.For(0, inputs.Length, i => actual[i] = MerkleHash.Leaf(inputs[i]));
        Assert.Equal(expected, actual);
    }
}
