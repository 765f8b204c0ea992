using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace HelpdeskBilling.Tests;

/// <summary>
/// The helpdesk-and-billing service trusts Skybridge's tokens for its own audiences, scopes and DPoP keys only, records
/// who did each write, and refunds once per idempotency key. Tokens come from a real Skybridge node.
/// </summary>
public sealed class SystemOfRecordTests(DeskFixture fixture) : IClassFixture<DeskFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Helpdesk => fixture.HelpdeskAudience;
    private string Billing => fixture.BillingAudience;

    private Task<DeskAgent> ResponderAsync() => DeskAgent.RegisterAsync(fixture, "responder");

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;

    private async Task<JsonObject> TicketAsync(string id)
    {
        var reader = await ResponderAsync();
        var response = await reader.CallAsync(HttpMethod.Get, "/helpdesk/tickets/" + id, await reader.TokenAsync(Helpdesk, "helpdesk:read"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private async Task<JsonObject> OrderAsync(string id)
    {
        var reader = await ResponderAsync();
        var response = await reader.CallAsync(HttpMethod.Get, "/billing/orders/" + id, await reader.TokenAsync(Billing, "billing:read"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    /// <summary>A refusal: the status, a DPoP challenge with the RFC 6750/9449 error, and nothing written to the ticket.</summary>
    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string error, string ticketId)
    {
        Assert.Equal(status, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith("DPoP ", challenge, StringComparison.Ordinal);
        Assert.Contains($"error=\"{error}\"", challenge, StringComparison.Ordinal);
        Assert.Contains("algs=\"ES256\"", challenge, StringComparison.Ordinal);
        var ticket = await TicketAsync(ticketId);
        Assert.Empty(ticket["replies"]!.AsArray());
        Assert.Empty(ticket["history"]!.AsArray());
    }

    private static object ReplyTo(string ticketId) => new { ticket_id = ticketId, body = "Your parcel left our warehouse yesterday." };

    /// <summary>Signs an access token with the node's own key file: a token only a bent Skybridge could make.</summary>
    private string Forge(DeskAgent agent, Action<JsonObject> bend, ECDsa? signWith = null)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(fixture.TokenKeyFile));
        var root = doc.RootElement;
        using var nodeKey = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(root.GetProperty("x").GetString()), Y = Base64UrlEncoder.DecodeBytes(root.GetProperty("y").GetString()) },
            D = Base64UrlEncoder.DecodeBytes(root.GetProperty("d").GetString()),
        });
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = fixture.Issuer, ["sub"] = agent.ClientId, ["aud"] = Helpdesk, ["iat"] = now, ["nbf"] = now, ["exp"] = now + 300,
            ["jti"] = Guid.NewGuid().ToString("N"), ["client_id"] = agent.ClientId, ["scope"] = "helpdesk:write",
            ["cnf"] = new JsonObject { ["jkt"] = DeskAgent.Thumbprint(agent.DPoPKey) },
        };
        bend(payload);
        return DeskAgent.Sign(signWith ?? nodeKey, new JsonObject { ["alg"] = "ES256", ["typ"] = "at+jwt", ["kid"] = root.GetProperty("kid").GetString() }, payload);
    }

    // ---- what works -----------------------------------------------------------------------------

    [Fact]
    public async Task Reply_IsRecordedWithSubjectAndTokenId_WhenTokenIsMintedForHelpdesk()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:write");

        var response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000002"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await TicketAsync("RT-000002");
        Assert.Equal("SO-000002", (string?)ticket["order_id"]);
        var reply = Assert.Single(ticket["replies"]!.AsArray())!;
        Assert.Equal("Your parcel left our warehouse yesterday.", (string?)reply["body"]);
        var write = Assert.Single(ticket["history"]!.AsArray())!;
        Assert.Equal("reply", (string?)write["operation"]);
        Assert.Equal(agent.ClientId, (string?)write["subject"]);
        Assert.Null((string?)write["actor"]);
        Assert.Equal((string?)DeskAgent.Claims(token)["jti"], (string?)write["token_id"]);
    }

    [Fact]
    public async Task Writes_RecordActorChain_WhenSubAgentActsForResponder()
    {
        var responder = await ResponderAsync();
        var dispatcher = await DeskAgent.RegisterAsync(fixture, "dispatcher");
        var responderToken = await responder.TokenAsync(Helpdesk, "helpdesk:write");
        var delegated = await dispatcher.TokenAsync(null, "helpdesk:write", subjectToken: responderToken);

        var escalated = await dispatcher.CallAsync(HttpMethod.Post, "/helpdesk/escalate", delegated, new { ticket_id = "RT-000006", queue = "warranty" });
        var closed = await dispatcher.CallAsync(HttpMethod.Post, "/helpdesk/close", delegated, new { ticket_id = "RT-000006" });

        Assert.Equal(HttpStatusCode.OK, escalated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        var ticket = await TicketAsync("RT-000006");
        Assert.Equal("warranty", (string?)ticket["queue"]);
        Assert.Equal("closed", (string?)ticket["status"]);
        var history = ticket["history"]!.AsArray();
        Assert.Equal(["escalate", "close"], history.Select(w => (string?)w!["operation"]));
        Assert.All(history, w =>
        {
            Assert.Equal(responder.ClientId, (string?)w!["subject"]);
            Assert.Equal(dispatcher.ClientId, (string?)w["actor"]);
            Assert.Equal(dispatcher.ClientId, (string?)w["client_id"]);
        });
    }

    [Fact]
    public async Task TokenRequest_IsRefusedWithInvalidTarget_WhenResourceIsNotConfigured()
    {
        var agent = await ResponderAsync();

        var (token, error) = await agent.TryTokenAsync(fixture.DeskUrl + "/warehouse", "helpdesk:write");

        Assert.Null(token);
        Assert.Equal("invalid_target", error);
    }

    // ---- tokens that are refused ----------------------------------------------------------------

    [Fact]
    public async Task Refund_IsRefusedAsInvalidToken_WhenTokenIsForHelpdeskAudience()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "billing:refund");

        var response = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000011", amount = 10, currency = "EUR" }, idempotencyKey: "k-aud");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Empty((await OrderAsync("SO-000011"))["refunds"]!.AsArray());
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidToken_WhenTokenIsForSkybridgeApi()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(null, "helpdesk:write");
        Assert.Equal(fixture.Issuer + "/api", (string?)DeskAgent.Claims(token)["aud"]);

        var response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000003"));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "invalid_token", "RT-000003");
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidToken_WhenIssuerIsAnother()
    {
        var agent = await ResponderAsync();
        var token = Forge(agent, p => p["iss"] = "http://127.0.0.1:1");

        var response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000004"));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "invalid_token", "RT-000004");
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidToken_WhenTokenIsSignedByAnotherKey()
    {
        var agent = await ResponderAsync();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = Forge(agent, _ => { }, signWith: otherKey);

        var response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000005"));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "invalid_token", "RT-000005");
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidToken_WhenTokenHasExpired()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:write");
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)DeskAgent.Claims(token)["exp"]!);

        // The service's clock goes past the token's lifetime and skew; the proof is made at the service's "now".
        fixture.DeskClock.Offset = expires - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        HttpResponseMessage response;
        try
        {
            response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000007"), proofTime: fixture.DeskClock.GetUtcNow());
        }
        finally
        {
            fixture.DeskClock.Offset = TimeSpan.Zero;
        }

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "invalid_token", "RT-000007");
    }

    [Fact]
    public async Task Refund_IsRefusedWithInsufficientScope_WhenScopeIsMissing()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Billing, "billing:read");

        var response = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000008", amount = 10, currency = "EUR" }, idempotencyKey: "k-scope");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"billing:refund\"", challenge, StringComparison.Ordinal);
        Assert.Empty((await OrderAsync("SO-000008"))["refunds"]!.AsArray());
    }

    [Fact]
    public async Task Reply_IsRefusedWithInsufficientScope_WhenTokenMayOnlyRead()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:read");

        var response = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000009"));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "insufficient_scope", "RT-000009");
    }

    // ---- proofs that are refused ----------------------------------------------------------------

    [Fact]
    public async Task Reply_IsRefused_WhenTokenIsSentAsBearerWithoutProof()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:write");

        var bearer = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000010"), scheme: "Bearer", sendProof: false);
        await AssertRefusedAsync(bearer, HttpStatusCode.Unauthorized, "invalid_token", "RT-000010");

        var noProof = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000010"), sendProof: false);
        await AssertRefusedAsync(noProof, HttpStatusCode.Unauthorized, "invalid_dpop_proof", "RT-000010");
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidProof_WhenProofIsReplayed()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:write");
        var url = fixture.DeskUrl + "/helpdesk/reply";
        var proof = DeskAgent.Proof(agent.DPoPKey, "POST", url, token);

        var first = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000012"), proof: proof);
        var replay = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000012"), proof: proof);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("error=\"invalid_dpop_proof\"", replay.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Single((await TicketAsync("RT-000012"))["replies"]!.AsArray());
    }

    [Fact]
    public async Task Reply_IsRefusedAsInvalidProof_WhenProofIsSignedByAnotherKeyOrForAnotherUrl()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Helpdesk, "helpdesk:write");
        var url = fixture.DeskUrl + "/helpdesk/reply";
        using var thief = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var stolen = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000013"), proof: DeskAgent.Proof(thief, "POST", url, token));
        await AssertRefusedAsync(stolen, HttpStatusCode.Unauthorized, "invalid_dpop_proof", "RT-000013");

        var otherUrl = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000013"), proof: DeskAgent.Proof(agent.DPoPKey, "POST", fixture.DeskUrl + "/helpdesk/close", token));
        await AssertRefusedAsync(otherUrl, HttpStatusCode.Unauthorized, "invalid_dpop_proof", "RT-000013");

        var otherToken = await agent.CallAsync(HttpMethod.Post, "/helpdesk/reply", token, ReplyTo("RT-000013"), proof: DeskAgent.Proof(agent.DPoPKey, "POST", url, "another-token"));
        await AssertRefusedAsync(otherToken, HttpStatusCode.Unauthorized, "invalid_dpop_proof", "RT-000013");
    }

    // ---- refunds --------------------------------------------------------------------------------

    [Fact]
    public async Task Refund_RefundsOnce_WhenRetriedConcurrentlyWithOneKey()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Billing, "billing:refund");
        var key = "refund-" + Guid.NewGuid().ToString("N");
        var body = new { order_id = "SO-000003", amount = 34.90m, currency = "EUR" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            agent.CallAsync(HttpMethod.Post, "/billing/refund", token, body, idempotencyKey: key)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
        var refundIds = await Task.WhenAll(answers.Select(async a => (string?)(await JsonAsync(a))["refund_id"]));
        Assert.Single(refundIds.Distinct());
        var order = await OrderAsync("SO-000003");
        var refund = Assert.Single(order["refunds"]!.AsArray())!;
        Assert.Equal(34.90m, (decimal)refund["amount"]!);
        Assert.Equal(key, (string?)refund["idempotency_key"]);
        Assert.Equal(agent.ClientId, (string?)refund["subject"]);
        Assert.Equal((string?)DeskAgent.Claims(token)["jti"], (string?)refund["token_id"]);
        Assert.Equal(34.90m, (decimal)order["refunded"]!);
    }

    [Fact]
    public async Task Refund_ConflictsAndRefundsNothingMore_WhenKeyIsReusedWithOtherAmount()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Billing, "billing:refund");
        var key = "refund-" + Guid.NewGuid().ToString("N");

        var first = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000010", amount = 12.5m, currency = "EUR" }, idempotencyKey: key);
        var other = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000010", amount = 50m, currency = "EUR" }, idempotencyKey: key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("idempotency_key_reused", (string?)(await JsonAsync(other))["code"]);
        Assert.Single((await OrderAsync("SO-000010"))["refunds"]!.AsArray());
    }

    [Fact]
    public async Task Refund_IsRefused_WhenItExceedsTheOrderOrHasNoKey()
    {
        var agent = await ResponderAsync();
        var token = await agent.TokenAsync(Billing, "billing:refund");

        var noKey = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000012", amount = 10, currency = "EUR" });
        var tooMuch = await agent.CallAsync(HttpMethod.Post, "/billing/refund", token, new { order_id = "SO-000012", amount = 5000, currency = "EUR" }, idempotencyKey: "k-5000");

        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Equal("idempotency_key_required", (string?)(await JsonAsync(noKey))["code"]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMuch.StatusCode);
        Assert.Equal("refund_exceeds_order", (string?)(await JsonAsync(tooMuch))["code"]);
        var order = await OrderAsync("SO-000012");
        Assert.Empty(order["refunds"]!.AsArray());
        Assert.Empty(order["history"]!.AsArray());
    }
}
