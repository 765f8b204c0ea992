using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Connectors;
using Skybridge.Connectors.Http;
using Skybridge.Connectors.Tests.Support;
using Skybridge.Core.Manifests;

namespace Skybridge.Connectors.Tests.Http;

/// <summary>The HTTP connector against a real system of record on a loopback port.</summary>
public sealed class HttpConnectorTests : IAsyncLifetime
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TimerClock _time = new();
    private readonly CapturedLogs _logs = new();
    private readonly FakeCredentials _credentials = new();
    private TestConnectorTokens _tokens = null!;
    private SystemOfRecord _system = null!;
    private IConnectors _connectors = null!;

    public async ValueTask InitializeAsync()
    {
        _system = await SystemOfRecord.StartAsync();
        _tokens = new TestConnectorTokens(_time);
        _connectors = Build(new HttpConnectorOptions { Timeout = AttemptTimeout, MaxRetries = 3, RetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(8) });
    }

    public async ValueTask DisposeAsync()
    {
        await _system.DisposeAsync();
        _tokens.Dispose();
    }

    private IConnectors Build(HttpConnectorOptions options) => ConnectorServices.Create(_tokens, _credentials, _time, _logs.Factory(), options);

    private ConnectorCall Call(string behaviour, bool idempotent = false, string action = "refund", string name = "helpdesk", Uri? endpoint = null) => new()
    {
        Connector = new Connector { Name = name, Type = ConnectorType.Http, Endpoint = endpoint ?? _system.Endpoint(behaviour) },
        Action = action,
        Parameters = JsonDocument.Parse("""{"ticket":"T-100","amount":42.5}""").RootElement,
        WorkflowId = "support-desk",
        CaseId = "case-7",
        IdempotencyKey = "call-" + Guid.NewGuid().ToString("N"),
        Idempotent = idempotent,
        Audience = "http://127.0.0.1/helpdesk",
        Scope = action,
    };

    private Task<(ConnectorResult Result, List<TimeSpan> Waits)> RunAsync(ConnectorCall call, IConnectors? connectors = null) =>
        _time.RunAsync((connectors ?? _connectors).ExecuteAsync(call, Ct), AttemptTimeout);

    [Fact]
    public async Task Execute_PostsTheParametersToTheAction_AndReturnsTheSystemsAnswerAndReference()
    {
        var call = Call("ok");
        var (result, _) = await RunAsync(call);

        Assert.Equal((ConnectorOutcome.Executed, 200, "T-1", 1, false), (result.Outcome, result.StatusCode, result.Reference, result.Attempts, result.KnownNotExecuted));
        Assert.Null(result.ErrorCode);
        Assert.Equal(42.5, result.Body!.Value.GetProperty("received").GetProperty("amount").GetDouble());
        var seen = Assert.Single(_system.Seen);
        Assert.Equal(("POST", "/ok/refund", call.IdempotencyKey, "case-7"), (seen.Method, seen.Path, seen.IdempotencyKey, seen.CaseId));
        Assert.Equal("""{"ticket":"T-100","amount":42.5}""", seen.Body);
    }

    [Fact]
    public async Task Execute_ReturnsRefusedWithTheSystemsError_AndKnownNotExecuted_On4xx()
    {
        var (result, _) = await RunAsync(Call("refuse", idempotent: true));

        Assert.Equal((ConnectorOutcome.Refused, 422, ConnectorErrors.Refused, true, 1), (result.Outcome, result.StatusCode, result.ErrorCode, result.KnownNotExecuted, result.Attempts));
        Assert.Equal("Refund above the order total", result.Body!.Value.GetProperty("title").GetString());
        Assert.Contains("Refund above the order total", result.Message, StringComparison.Ordinal);
        Assert.Single(_system.Seen);
    }

    [Fact]
    public async Task Execute_RetriesAnIdempotentCall_With503_WithTheSameIdempotencyKey_AndGrowingWaits()
    {
        var call = Call("fail-then-ok/503", idempotent: true);
        var (result, waits) = await RunAsync(call);

        Assert.Equal((ConnectorOutcome.Executed, 201, "4711", 2), (result.Outcome, result.StatusCode, result.Reference, result.Attempts));
        Assert.Equal([call.IdempotencyKey, call.IdempotencyKey], _system.Seen.Select(s => s.IdempotencyKey));
        var wait = Assert.Single(waits);
        Assert.InRange(wait, TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Execute_NeverRetriesANonIdempotentCall_On503()
    {
        var (result, waits) = await RunAsync(Call("fail-then-ok/503", idempotent: false));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.Unavailable, 503, 1, false), (result.Outcome, result.ErrorCode, result.StatusCode, result.Attempts, result.KnownNotExecuted));
        Assert.Single(_system.Seen);
        Assert.Empty(waits);
    }

    [Fact]
    public async Task Execute_DoesNotRetryA500_EvenForAnIdempotentCall_BecauseItMayHaveExecuted()
    {
        var (result, waits) = await RunAsync(Call("fail-then-ok/500", idempotent: true));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.ServerError, 500, 1, false), (result.Outcome, result.ErrorCode, result.StatusCode, result.Attempts, result.KnownNotExecuted));
        Assert.Single(_system.Seen);
        Assert.Empty(waits);
    }

    [Fact]
    public async Task Execute_GivesUpAfterTheLastRetry_WaitingBetweenAttempts_OnAPersistent503()
    {
        var call = Call("status/503", idempotent: true);
        var (result, waits) = await RunAsync(call);

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.Unavailable, 4), (result.Outcome, result.ErrorCode, result.Attempts));
        Assert.Equal(4, _system.Seen.Count);
        Assert.All(_system.Seen, s => Assert.Equal(call.IdempotencyKey, s.IdempotencyKey));
        // Exponential backoff with jitter (Polly's decorrelated jitter): three real waits, none beyond the maximum.
        Assert.Equal(3, waits.Count);
        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(8)));
    }

    [Fact]
    public async Task Execute_TimesOut_OnASlowSystem_AndSaysTheCallMayHaveExecuted()
    {
        // Taken before the call starts: a request that arrives before the test looks would complete an earlier task.
        var arrived = _system.NextRequest;
        var work = _connectors.ExecuteAsync(Call("slow", idempotent: false), Ct);
        await arrived.WaitAsync(Ct);
        _time.Advance(AttemptTimeout);
        var result = await work;

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.Timeout, false, 1), (result.Outcome, result.ErrorCode, result.KnownNotExecuted, result.Attempts));
        Assert.Single(_system.Seen);
    }

    [Fact]
    public async Task Execute_UsesTheCallsOwnTimeout_WhenItHasOne()
    {
        var call = Call("slow") with { Timeout = TimeSpan.FromSeconds(2) };
        var arrived = _system.NextRequest;
        var work = _connectors.ExecuteAsync(call, Ct);
        await arrived.WaitAsync(Ct);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(ConnectorErrors.Timeout, (await work).ErrorCode);
    }

    [Fact]
    public async Task Execute_ReturnsBadResponse_ForAnAnswerThatIsNotJson()
    {
        var (result, _) = await RunAsync(Call("garbage", idempotent: true));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.BadResponse, 200, false, 1), (result.Outcome, result.ErrorCode, result.StatusCode, result.KnownNotExecuted, result.Attempts));
        Assert.Null(result.Body);
    }

    [Fact]
    public async Task Execute_ReturnsBadResponse_ForAnAnswerLargerThanTheLimit()
    {
        var (result, _) = await RunAsync(Call("huge"));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.BadResponse, false), (result.Outcome, result.ErrorCode, result.KnownNotExecuted));
        Assert.Contains("1048576 bytes", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ReportsAResetConnection_AsUnavailable_WithoutKnowingWhetherItExecuted()
    {
        var (result, _) = await RunAsync(Call("reset", idempotent: false));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.Unavailable, false, 1), (result.Outcome, result.ErrorCode, result.KnownNotExecuted, result.Attempts));
        Assert.Single(_system.Seen);
    }

    [Fact]
    public async Task Execute_RetriesARefusedConnection_ForAnIdempotentCall_AndKnowsNothingExecuted()
    {
        var closed = ClosedPort();
        var (idempotent, waits) = await RunAsync(Call("ok", idempotent: true, endpoint: closed));
        var (once, _) = await RunAsync(Call("ok", idempotent: false, endpoint: closed));

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.Unavailable, true, 4), (idempotent.Outcome, idempotent.ErrorCode, idempotent.KnownNotExecuted, idempotent.Attempts));
        Assert.Equal(3, waits.Count);
        Assert.Equal((ConnectorErrors.Unavailable, true, 1), (once.ErrorCode, once.KnownNotExecuted, once.Attempts));
    }

    [Fact]
    public async Task Execute_OpensTheCircuit_AfterRepeatedFailures_AndThenSendsNothing()
    {
        var connectors = Build(new HttpConnectorOptions { Timeout = AttemptTimeout, MaxRetries = 0, BreakerMinimumThroughput = 2, BreakerFailureRatio = 0.5 });
        await RunAsync(Call("status/500"), connectors);
        await RunAsync(Call("status/500"), connectors);
        var (paused, _) = await RunAsync(Call("status/500"), connectors);

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.CircuitOpen, true, 0), (paused.Outcome, paused.ErrorCode, paused.KnownNotExecuted, paused.Attempts));
        Assert.Equal(2, _system.Seen.Count);

        // Another system is not affected.
        var (other, _) = await RunAsync(Call("ok", name: "billing"), connectors);
        Assert.Equal(ConnectorOutcome.Executed, other.Outcome);
    }

    [Fact]
    public async Task Execute_SendsATokenMintedForTheCall_WithItsAudienceAndScope_ExpiringWithinAMinute()
    {
        var (result, _) = await RunAsync(Call("ok", action: "reply") with { Audience = "http://127.0.0.1:5081/helpdesk" });

        Assert.Equal(ConnectorOutcome.Executed, result.Outcome);
        var authorization = Assert.Single(_system.Seen).Authorization!;
        Assert.StartsWith("DPoP ", authorization, StringComparison.Ordinal);
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(authorization["DPoP ".Length..], new TokenValidationParameters
        {
            ValidIssuer = TestConnectorTokens.Issuer,
            ValidAudience = "http://127.0.0.1:5081/helpdesk",
            IssuerSigningKey = _tokens.PublicKey,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            // The lifetime is checked below against the test's clock, not the machine's.
            ValidateLifetime = false,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("reply", token.GetClaim("scope").Value);
        Assert.Equal("case-7", token.GetClaim("case_id").Value);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, token.IssuedAt);
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Execute_MintsANewTokenForEachCall_NeverReusingOne()
    {
        await RunAsync(Call("ok"));
        await RunAsync(Call("ok"));

        Assert.Equal(2, _tokens.Minted.Distinct().Count());
        Assert.Equal(_tokens.Minted.Select(t => "DPoP " + t), _system.Seen.Select(s => s.Authorization));
    }

    [Fact]
    public async Task Execute_SendsAProofOfTheBoundKey_ForThisRequestAndToken()
    {
        var call = Call("ok", action: "reply");
        await RunAsync(call);

        var seen = Assert.Single(_system.Seen);
        var token = seen.Authorization!["DPoP ".Length..];
        var proof = ValidProof(seen.DPoP);
        Assert.Equal("POST", proof.GetClaim("htm").Value);
        // RFC 9449 section 4.2: htu is the request URI without query and fragment.
        Assert.Equal(new Uri(call.Connector.Endpoint!, "ok/reply").AbsoluteUri, proof.GetClaim("htu").Value);
        Assert.Equal(Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token))), proof.GetClaim("ath").Value);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), long.Parse(proof.GetClaim("iat").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(string.IsNullOrEmpty(proof.GetClaim("jti").Value));
    }

    [Fact]
    public async Task Execute_SignsAFreshProofForEveryAttempt_WhenRetrying()
    {
        var (result, _) = await RunAsync(Call("fail-then-ok/503", idempotent: true));

        Assert.Equal((ConnectorOutcome.Executed, 2), (result.Outcome, result.Attempts));
        var proofs = _system.Seen.Select(s => ValidProof(s.DPoP)).ToList();
        Assert.Equal(2, proofs.Select(p => p.GetClaim("jti").Value).Distinct().Count());
        // The token is the same (minted once per call); only the proof is new.
        Assert.Single(_system.Seen.Select(s => s.Authorization).Distinct());
    }

    [Fact]
    public async Task Execute_SendsNothing_AndSaysWhy_WhenTheTokenIsRefused()
    {
        var connectors = ConnectorServices.Create(new RefusingTokens(), _credentials, _time, _logs.Factory());
        var result = await connectors.ExecuteAsync(Call("ok"), Ct);

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.CredentialUnavailable, true, 0), (result.Outcome, result.ErrorCode, result.KnownNotExecuted, result.Attempts));
        Assert.Contains(RefusingTokens.Problem, result.Message, StringComparison.Ordinal);
        Assert.Empty(_system.Seen);
    }

    /// <summary>A DPoP proof (RFC 9449 section 4.2) signed by the key of its header's jwk, which is the key the tokens are bound to.</summary>
    private JsonWebToken ValidProof(string? proof)
    {
        Assert.NotNull(proof);
        var jwt = new JsonWebToken(proof);
        Assert.Equal(("dpop+jwt", "ES256"), (jwt.Typ, jwt.Alg));
        Assert.True(jwt.TryGetHeaderValue<JsonElement>("jwk", out var jwkJson));
        var jwk = new JsonWebKey(jwkJson.GetRawText());
        Assert.False(jwk.HasPrivateKey);
        Assert.Equal(_tokens.ProofKey.Thumbprint, Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()));
        var validation = new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidTypes = ["dpop+jwt"],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        }).GetAwaiter().GetResult();
        Assert.True(validation.IsValid, validation.Exception?.Message);
        return jwt;
    }

    [Theory]
    [InlineData("ok")]
    [InlineData("echo")]
    [InlineData("echo/refuse")]
    public async Task Execute_SendsTheStoredBearerCredential_AndNeverShowsIt_InResultsOrLogs(string behaviour)
    {
        const string secret = "sk_live_5f1c0ffee4d2b7a9";
        _credentials.Stored["helpdesk"] = new ConnectorCredential { Kind = CredentialKind.Bearer, Value = secret };
        var (result, _) = await RunAsync(Call(behaviour));

        Assert.Equal("Bearer " + secret, Assert.Single(_system.Seen).Authorization);
        Assert.Empty(_tokens.Minted);
        AssertNowhere(secret, result);
    }

    [Fact]
    public async Task Execute_SendsABasicCredential_AndRedactsItsEveryForm_FromAnEchoedAnswer()
    {
        const string password = "correct-horse-battery";
        _credentials.Stored["helpdesk"] = new ConnectorCredential { Kind = CredentialKind.Basic, UserName = "skybridge", Value = password };
        var (result, _) = await RunAsync(Call("echo"));

        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("skybridge:" + password));
        Assert.Equal("Basic " + encoded, Assert.Single(_system.Seen).Authorization);
        Assert.Equal("Basic [redacted]", result.Body!.Value.GetProperty("headers").GetProperty("Authorization").GetString());
        AssertNowhere(password, result);
        AssertNowhere(encoded, result);
    }

    [Fact]
    public async Task Execute_SendsAnApiKey_InItsHeader_AndNeverShowsIt()
    {
        const string key = "ak-0b7e6d5c4a";
        _credentials.Stored["helpdesk"] = new ConnectorCredential { Kind = CredentialKind.ApiKey, Value = key };
        var (result, _) = await RunAsync(Call("echo"));

        var seen = Assert.Single(_system.Seen);
        Assert.Equal((key, (string?)null), (seen.ApiKey, seen.Authorization));
        AssertNowhere(key, result);
    }

    [Fact]
    public async Task Execute_NeverShowsTheMintedToken_InResultsOrLogs_EvenWhenTheSystemEchoesIt()
    {
        var (result, _) = await RunAsync(Call("echo/refuse", idempotent: true));

        Assert.Equal(ConnectorOutcome.Refused, result.Outcome);
        AssertNowhere(Assert.Single(_tokens.Minted), result);
    }

    [Fact]
    public async Task Execute_SendsNothing_WhenNoCredentialCanBeHad()
    {
        var connectors = ConnectorServices.Create(new FailingTokens(), _credentials, _time, _logs.Factory());
        var result = await connectors.ExecuteAsync(Call("ok"), Ct);

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.CredentialUnavailable, true, 0), (result.Outcome, result.ErrorCode, result.KnownNotExecuted, result.Attempts));
        Assert.Empty(_system.Seen);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(FailingTokens.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Execute_ReportsAnMcpConnector_AsNotAvailableYet_AndSendsNothing()
    {
        var call = Call("ok") with { Connector = new Connector { Name = "crm", Type = ConnectorType.Mcp, Command = "crm-mcp" } };
        var result = await _connectors.ExecuteAsync(call, Ct);

        Assert.Equal((ConnectorOutcome.Failed, ConnectorErrors.TypeNotAvailable, true), (result.Outcome, result.ErrorCode, result.KnownNotExecuted));
        Assert.Empty(_system.Seen);
    }

    [Fact]
    public void ActionUri_PutsTheActionUnderTheEndpoint_AsOneEscapedSegment()
    {
        Assert.Equal("http://h/api/refund", HttpConnector.ActionUri(new Uri("http://h/api"), "refund").AbsoluteUri);
        Assert.Equal("http://h/api/refund", HttpConnector.ActionUri(new Uri("http://h/api/"), "refund").AbsoluteUri);
        Assert.Equal("http://h/api/..%2Fadmin", HttpConnector.ActionUri(new Uri("http://h/api"), "../admin").AbsoluteUri);
    }

    private void AssertNowhere(string secret, ConnectorResult result)
    {
        Assert.DoesNotContain(secret, JsonSerializer.Serialize(result), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, result.Message ?? "", StringComparison.Ordinal);
        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    private static Uri ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/ok");
    }

    private sealed class FailingTokens : IConnectorTokens
    {
        public const string Detail = "signing key tok-secret-material unavailable";

        public Task<ConnectorTokenResult> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(Detail);
    }

    private sealed class RefusingTokens : IConnectorTokens
    {
        public const string Problem = "audience 'http://elsewhere' is not one of this node's resources";

        public Task<ConnectorTokenResult> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken) =>
            Task.FromResult(ConnectorTokenResult.Refused(Problem));
    }
}
