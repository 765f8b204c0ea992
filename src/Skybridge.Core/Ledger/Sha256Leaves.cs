using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Skybridge.Core.Ledger;

/// <summary>
/// SHA-256 of the small inputs a Merkle tree hashes by the million (a one-byte prefix and an event body, or two child
/// hashes), through OpenSSL's low-level SHA-256 when the system has it. .NET reaches the same OpenSSL through its EVP
/// layer, which clears the error queue, takes locks and allocates a context on every call: for a 65-byte interior node
/// that costs several times the hashing itself (docs/performance.md). The context here lives on the stack.
/// Elsewhere (no <c>libcrypto.so.3</c>, or <c>SKYBRIDGE_PORTABLE_SHA256=1</c>) the standard .NET implementation is used;
/// both give the same bytes, which the tests compare.
/// </summary>
internal static unsafe class Sha256Leaves
{
    // sizeof(SHA256_CTX) is 112 bytes in OpenSSL 3; the buffer leaves room to spare.
    private const int ContextSize = 256;

    private static readonly delegate* unmanaged<byte*, int> Init;
    private static readonly delegate* unmanaged<byte*, byte*, nuint, int> Update;
    private static readonly delegate* unmanaged<byte*, byte*, int> Final;

    /// <summary>True when OpenSSL's low-level SHA-256 is used.</summary>
    public static bool IsNative { get; }

    static Sha256Leaves()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("SKYBRIDGE_PORTABLE_SHA256") == "1"
            || !NativeLibrary.TryLoad("libcrypto.so.3", out var library))
        {
            return;
        }

        if (NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
            && NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
            && NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
        {
            Init = (delegate* unmanaged<byte*, int>)init;
            Update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
            Final = (delegate* unmanaged<byte*, byte*, int>)final;
            IsNative = true;
        }
    }

    /// <summary>SHA-256(<paramref name="prefix"/> || <paramref name="first"/> || <paramref name="second"/>) as a new 32-byte array.</summary>
    public static byte[] Hash(byte prefix, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var result = new byte[MerkleHash.Size];
        if (!IsNative)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData([prefix]);
            hash.AppendData(first);
            hash.AppendData(second);
            hash.GetHashAndReset(result);
            return result;
        }

        var context = stackalloc byte[ContextSize];
        fixed (byte* a = first)
        fixed (byte* b = second)
        fixed (byte* r = result)
        {
            var ok = Init(context) & Update(context, &prefix, 1);
            if (first.Length > 0)
            {
                ok &= Update(context, a, (nuint)first.Length);
            }

            if (second.Length > 0)
            {
                ok &= Update(context, b, (nuint)second.Length);
            }

            ok &= Final(r, context);
            if (ok != 1)
            {
                throw new CryptographicException("OpenSSL's SHA-256 failed.");
            }
        }

        return result;
    }
}
