using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Client.Tests.Support;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;

namespace Skybridge.Client.Tests;

/// <summary>Credentials files: what loads, and errors that say which file and what is wrong, never the key.</summary>
public sealed class CredentialsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (JsonObject File, string D) Good()
    {
        var pair = AgentKeyPair.Generate();
        var file = JsonNode.Parse(pair.CredentialsJson(TestCredentials.Issuer, "support-desk/responder-1", "support-desk", "responder", "cases:read"))!.AsObject();
        return (file, file["key"]!["d"]!.GetValue<string>());
    }

    [Fact]
    public async Task Load_AFileAsTheCliWritesIt_GivesEveryField()
    {
        var (file, _) = Good();
        var path = Path.Combine(Path.GetTempPath(), $"skybridge-{Guid.NewGuid():N}.agent.json");
        await File.WriteAllTextAsync(path, file.ToJsonString(), Ct);
        try
        {
            var credentials = SkybridgeAgentCredentials.Load(path);
            Assert.Equal(new Uri(TestCredentials.Issuer), credentials.Issuer);
            Assert.Equal(new Uri(TestCredentials.Issuer + "/oauth/token"), credentials.TokenEndpoint);
            Assert.Equal("support-desk/responder-1", credentials.ClientId);
            Assert.Equal("support-desk", credentials.Workflow);
            Assert.Equal("responder", credentials.Role);
            Assert.Equal("cases:read", credentials.Scope);
            Assert.Equal(TestCredentials.Issuer + "/api", credentials.Resource);
            Assert.Equal(file["key"]!["kid"]!.GetValue<string>(), credentials.KeyId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_AMissingFile_NamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"skybridge-{Guid.NewGuid():N}", "responder-1.agent.json");
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Load(path));
        Assert.StartsWith(path + ": cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_NamesTheSourceAndLine()
    {
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse("{\n  \"issuer\": \"x\",\n  oops\n}", "responder-1.agent.json"));
        Assert.Equal("responder-1.agent.json: not JSON (line 3).", error.Message);
    }

    [Fact]
    public void Parse_ReportsEveryProblemAtOnce_AndNeverThePrivateKey()
    {
        var (file, d) = Good();
        file.Remove("client_id");
        file["issuer"] = "sky.example";
        file["token_endpoint"] = "ftp://sky.example/token";
        file["key"]!["crv"] = "P-384";

        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(file.ToJsonString(), "responder-1.agent.json"));
        Assert.StartsWith("responder-1.agent.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("'issuer' is not an http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("'token_endpoint' is not an http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("'client_id' is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("'key' must be an EC P-256 JWK", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(d, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_APublicKeyOnly_SaysItIsNotTheAgentsCredentials()
    {
        var (file, _) = Good();
        file["key"]!.AsObject().Remove("d");
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(file.ToJsonString(), "responder-1.agent.json"));
        Assert.Contains("'key' has no private part ('d')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AKeyThatIsNotAKey_IsRefusedWithoutEchoingIt()
    {
        var (file, _) = Good();
        file["key"]!["d"] = "bm90LWEta2V5";
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(file.ToJsonString(), "responder-1.agent.json"));
        Assert.Contains("'key' is not a valid EC P-256 key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bm90LWEta2V5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_APublicHalfOfAnotherKey_IsRefused()
    {
        var (file, d) = Good();
        var (other, _) = Good();
        file["key"]!["x"] = other["key"]!["x"]!.GetValue<string>();
        file["key"]!["y"] = other["key"]!["y"]!.GetValue<string>();
        file["key"]!.AsObject().Remove("kid");
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(file.ToJsonString(), "responder-1.agent.json"));
        Assert.Contains("'key' is not a valid EC P-256 key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(d, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AKidThatIsNotTheKeysThumbprint_IsRefused()
    {
        // The server finds the agent's key by its RFC 7638 thumbprint; a wrong kid would only fail later, obscurely.
        var (file, _) = Good();
        file["key"]!["kid"] = "not-the-thumbprint";
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(file.ToJsonString(), "responder-1.agent.json"));
        Assert.Contains("'key.kid' is not the key's RFC 7638 thumbprint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WithoutATokenEndpoint_UsesTheIssuers()
    {
        var (file, _) = Good();
        file.Remove("token_endpoint");
        file["issuer"] = "https://sky.example/";
        Assert.Equal(new Uri("https://sky.example/oauth/token"), SkybridgeAgentCredentials.Parse(file.ToJsonString()).TokenEndpoint);
    }

    [Fact]
    public void Credentials_DoNotShowTheKeyWhenPrinted()
    {
        var (file, d) = Good();
        var credentials = SkybridgeAgentCredentials.Parse(file.ToJsonString());
        Assert.DoesNotContain(d, credentials.ToString()!, StringComparison.Ordinal);
        Assert.DoesNotContain(d, JsonSerializer.Serialize(credentials), StringComparison.Ordinal);
    }
}
