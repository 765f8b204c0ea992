using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>What a grant decides: a refusal, or the claims of a token to sign.</summary>
internal abstract record GrantResult
{
    private GrantResult()
    {
    }

    /// <summary>The request is refused.</summary>
    public sealed record Refused(TokenRefusal Refusal) : GrantResult;

    /// <summary>A token to sign and record; <paramref name="SubjectTokenId"/> names the token it was exchanged for.</summary>
    public sealed record Granted(AccessTokenClaims Claims, string? SubjectTokenId = null) : GrantResult;

    public static implicit operator GrantResult(TokenRefusal refusal) => new Refused(refusal);
}
