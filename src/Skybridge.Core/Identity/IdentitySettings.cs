namespace Skybridge.Core.Identity;

/// <summary>Time limits and bounds of the token service. Defaults suit agents calling from the same network.</summary>
public sealed record IdentitySettings
{
    /// <summary>How far clocks of clients and servers may disagree; applied to every time check.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long after its <c>iat</c> a DPoP proof is accepted (RFC 9449 section 11.1).</summary>
    public TimeSpan ProofLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest life a client assertion may have (RFC 7523: short-lived).</summary>
    public TimeSpan AssertionMaxLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Life of an agent's access token. Agents get no refresh tokens.</summary>
    public TimeSpan AgentTokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Life of a person's access token (the CLI after device sign-in).</summary>
    public TimeSpan PersonTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many actors a delegated token may carry (human -> agent -> sub-agent is 2).</summary>
    public int MaxDelegationDepth { get; init; } = 3;

    /// <summary>Longest JWT (proof, assertion, token) read at all; longer ones are refused before parsing.</summary>
    public int MaxJwtLength { get; init; } = 8192;

    /// <summary>How long a server DPoP nonce stays valid.</summary>
    public TimeSpan NonceLifetime { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a DPoP proof's <c>jti</c> must be remembered: past every moment the proof could still be accepted.</summary>
    public TimeSpan ProofReplayWindow => ProofLifetime + ClockSkew + ClockSkew;
}
