using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Connectors;

namespace Skybridge.Connectors.Tests.Support;

/// <summary>
/// Mints real ES256 JWTs with a test key, as the node's token service will: audience and scope of the call, the case,
/// a lifetime of one minute on the given clock, bound (<c>cnf.jkt</c>) to a DPoP key the connector proves per request.
/// </summary>
public sealed class TestConnectorTokens(TimeProvider time) : IConnectorTokens, IDisposable
{
    public const string Issuer = "https://skybridge.test";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public List<string> Minted { get; } = [];

    /// <summary>The DPoP key every minted token is bound to.</summary>
    public ConnectorProofKey ProofKey { get; } = ConnectorProofKey.Create();

    public SecurityKey PublicKey => new ECDsaSecurityKey(ECDsa.Create(_key.ExportParameters(includePrivateParameters: false))) { KeyId = "test-key" };

    public Task<ConnectorTokenResult> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expires = now.AddMinutes(1);
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object> { ["cnf"] = new Dictionary<string, object> { ["jkt"] = ProofKey.Thumbprint } },
            Subject = new ClaimsIdentity([new Claim("sub", "workflow:" + call.WorkflowId), new Claim("scope", scope), new Claim("case_id", call.CaseId), new Claim("jti", Guid.NewGuid().ToString("N"))]),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(_key) { KeyId = "test-key" }, SecurityAlgorithms.EcdsaSha256),
        });
        lock (Minted)
        {
            Minted.Add(token);
        }

        return Task.FromResult(ConnectorTokenResult.Minted(new ConnectorToken(token, expires) { ProofKey = ProofKey }));
    }

    public void Dispose()
    {
        _key.Dispose();
        ProofKey.Dispose();
    }
}

/// <summary>A secret store holding one credential per connector name, in memory.</summary>
public sealed class FakeCredentials : IConnectorCredentials
{
    public Dictionary<string, ConnectorCredential> Stored { get; } = new(StringComparer.Ordinal);

    public Task<ConnectorCredential?> GetAsync(string connector, CancellationToken cancellationToken) =>
        Task.FromResult(Stored.TryGetValue(connector, out var credential) ? credential : null);
}
