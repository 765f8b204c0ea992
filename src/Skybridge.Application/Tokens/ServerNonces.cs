using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens;

/// <summary>The node's DPoP nonces (RFC 9449 section 8) at the current time, for the token endpoint and the resource side.</summary>
public sealed class ServerNonces(DPoPNonces nonces, TimeProvider time)
{
    /// <summary>The node's current DPoP nonce.</summary>
    public string Current => nonces.Current(time.GetUtcNow());

    /// <summary>True when <paramref name="nonce"/> is one this server handed out recently.</summary>
    public bool IsCurrent(string? nonce) => nonces.IsCurrent(nonce, time.GetUtcNow());
}
