using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Connectors;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests;

/// <summary>
/// The node mints connector tokens with its own signing key, for its systems of record only, and the sample system of
/// record accepts a call the node's HTTP connector makes with one (DPoP-bound, a fresh proof per request).
/// </summary>
public sealed class ConnectorTokenTests(DeskFixture fixture) : IClassFixture<DeskFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IConnectorTokens Tokens => fixture.SkybridgeServices.GetRequiredService<IConnectorTokens>();

    private IConnectors Connectors => fixture.SkybridgeServices.GetRequiredService<IConnectors>();

    private ConnectorCall Call(string connector, string action, object parameters, string scope, string caseId) => new()
    {
        Connector = new Connector { Name = connector, Type = ConnectorType.Http, Endpoint = new Uri(fixture.DeskUrl + "/" + connector) },
        Action = action,
        Parameters = JsonSerializer.SerializeToElement(parameters),
        WorkflowId = DeskFixture.Workflow,
        CaseId = caseId,
        IdempotencyKey = "call-" + Guid.NewGuid().ToString("N"),
        Idempotent = true,
        Audience = fixture.DeskUrl + "/" + connector,
        Scope = scope,
    };

    [Fact]
    public async Task GetToken_MintsATokenThatValidatesAgainstTheNodesJwks_ForTheAudienceAndScope_ForSixtySeconds()
    {
        var call = Call("helpdesk", "reply", new { }, "helpdesk:write", "case-mint");
        var minted = await Tokens.GetTokenAsync(fixture.HelpdeskAudience, "helpdesk:write", call, Ct);

        var token = Assert.IsType<ConnectorToken>(minted.Token);
        using var http = new HttpClient();
        var jwks = new JsonWebKeySet(await http.GetStringAsync(fixture.Issuer + "/oauth/jwks", Ct));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(token.Value, new TokenValidationParameters
        {
            ValidIssuer = fixture.Issuer,
            ValidAudience = fixture.HelpdeskAudience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var jwt = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("helpdesk:write", jwt.GetClaim("scope").Value);
        Assert.Equal(ConnectorTokenMinter.ClientId, jwt.GetClaim("client_id").Value);
        Assert.Equal("workflow:" + DeskFixture.Workflow, jwt.Subject);
        Assert.Equal(DeskFixture.Workflow, jwt.GetClaim("workflow").Value);
        Assert.Equal(TimeSpan.FromSeconds(60), jwt.ValidTo - jwt.ValidFrom);
        Assert.Equal(token.ExpiresAt.ToUnixTimeSeconds(), new DateTimeOffset(jwt.ValidTo).ToUnixTimeSeconds());
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        Assert.Equal(token.ProofKey!.Thumbprint, payload.RootElement.GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.DoesNotContain(token.Value, token.ToString(), StringComparison.Ordinal);

        // The issuance is in the ledger, with the connector grant, the token's id and never the token.
        var events = await fixture.SkybridgeServices.GetRequiredService<ILedgerStore>().ReadLedgerCaseAsync("case-mint", Ct);
        var issued = Assert.Single(events, e => e.Type == "token.issued");
        Assert.Contains("\"grant_type\":\"connector\"", issued.Body, StringComparison.Ordinal);
        Assert.Contains(jwt.Id, issued.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Value, issued.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(jwt.EncodedSignature, issued.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_Refuses_AnAudienceThatIsNotOneOfTheNodesSystemsOfRecord()
    {
        var call = Call("helpdesk", "reply", new { }, "helpdesk:write", "case-refused");
        foreach (var audience in new[] { "http://127.0.0.1:1/elsewhere", fixture.Issuer + "/api" })
        {
            var minted = await Tokens.GetTokenAsync(audience, "helpdesk:write", call, Ct);

            Assert.Null(minted.Token);
            Assert.Contains(audience, minted.Problem, StringComparison.Ordinal);
        }

        Assert.Empty(await fixture.SkybridgeServices.GetRequiredService<ILedgerStore>().ReadLedgerCaseAsync("case-refused", Ct));
    }

    [Fact]
    public async Task Execute_ThroughTheNodesConnector_IsAcceptedByTheSystemOfRecord_AndRecordedAsTheWorkflow()
    {
        var reply = await Connectors.ExecuteAsync(Call("helpdesk", "reply", new { ticket_id = "RT-000003", body = "Your refund is on its way." }, "helpdesk:write", "case-reply"), Ct);

        Assert.True(reply.Outcome == ConnectorOutcome.Executed, reply.Message);
        Assert.Equal(201, reply.StatusCode);

        var refund = await Connectors.ExecuteAsync(Call("billing", "refund", new { order_id = "SO-000003", amount = 5, currency = "EUR" }, "billing:refund", "case-reply"), Ct);
        Assert.True(refund.Outcome == ConnectorOutcome.Executed, refund.Message);

        // Read back with a token of the same minter: the write is recorded as Skybridge's connector acting for the workflow.
        var read = Call("helpdesk", "tickets", new { }, "helpdesk:read", "case-reply");
        var token = (await Tokens.GetTokenAsync(fixture.HelpdeskAudience, "helpdesk:read", read, Ct)).Token!;
        var uri = new Uri(fixture.DeskUrl + "/helpdesk/tickets/RT-000003");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + token.Value);
        request.Headers.TryAddWithoutValidation("DPoP", token.ProofKey!.CreateProof("GET", uri, token.Value, DateTimeOffset.UtcNow));
        using var http = new HttpClient();
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ticket = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!.ToJsonString();
        Assert.Contains("Your refund is on its way.", ticket, StringComparison.Ordinal);
        Assert.Contains("workflow:" + DeskFixture.Workflow, ticket, StringComparison.Ordinal);
        Assert.Contains(ConnectorTokenMinter.ClientId, ticket, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_IsRefusedBySystemOfRecord_WhenTheScopeIsNotTheOperations()
    {
        // A helpdesk token cannot move money: the billing half wants its own audience and billing:refund.
        var call = Call("billing", "refund", new { order_id = "SO-000004", amount = 100, currency = "EUR" }, "billing:read", "case-scope");
        var result = await Connectors.ExecuteAsync(call, Ct);

        Assert.Equal((ConnectorOutcome.Refused, 403, true), (result.Outcome, result.StatusCode, result.KnownNotExecuted));
    }
}
