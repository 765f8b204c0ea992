using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Text;
using System.Text.Json;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>
/// A page on another site cannot change anything with a signed-in person's cookie: forms and text posts with a
/// foreign Origin are refused, while the console's own requests and DPoP-authenticated clients go through.
/// </summary>
public sealed class CrossOriginTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public CrossOriginTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string OwnOrigin => _server.BaseAddress.GetLeftPart(UriPartial.Authority);

    private static async Task<string> CodeAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("code").GetString()!;
    }

    private static HttpRequestMessage Post(string path, HttpContent? content, string? origin, string? fetchSite = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Remove("Origin");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return request;
    }

    private async Task<HttpClient> CookieClientAsync()
    {
        var client = await _server.SignedInClientAsync("owner");
        client.DefaultRequestHeaders.Remove("Origin");
        return client;
    }

    [Fact]
    public async Task DisableAgent_ForgedOriginTextPlain_IsRefused_AndTheAgentStaysEnabled()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        var name = agent.ClientId.Split('/').Last();
        using var client = await CookieClientAsync();
        using var forged = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/agents/{name}/disable",
            new StringContent("x", Encoding.UTF8, "text/plain"), "https://evil.example", "cross-site"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("cross_origin_refused", await CodeAsync(forged));

        using var noOrigin = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/agents/{name}/disable", null, null), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, noOrigin.StatusCode);

        var agents = await _server.Services.GetRequiredService<AgentService>().ListAsync(RunningServer.Workflow, Ct);
        Assert.Equal(Skybridge.Storage.AgentStatuses.Active, agents.Single(a => a.ClientId == agent.ClientId).Status);

        using var own = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/agents/{name}/disable", null, OwnOrigin), Ct);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var fetchMetadata = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/agents/{name}/enable", null, null, "same-origin"), Ct);
        Assert.Equal(HttpStatusCode.OK, fetchMetadata.StatusCode);
    }

    [Fact]
    public async Task PublishManifest_ForgedOriginTextPlain_IsRefused()
    {
        var yaml = await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct);
        using var client = await CookieClientAsync();
        var before = (await _server.Store.GetLedgerHeadAsync(Ct)).Size;
        using var forged = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/versions?activate=true",
            new StringContent(yaml.Replace("Support desk", "Forged desk", StringComparison.Ordinal), Encoding.UTF8, "text/plain"), "http://evil.example"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("cross_origin_refused", await CodeAsync(forged));
        Assert.Equal(before, (await _server.Store.GetLedgerHeadAsync(Ct)).Size);
    }

    [Fact]
    public async Task JsonEndpoint_SameOriginFormBody_IsRefused()
    {
        using var client = await CookieClientAsync();
        using var form = await client.SendAsync(Post($"/api/workflows/{RunningServer.Workflow}/halt",
            new FormUrlEncodedContent([new("reason", "form post")]), OwnOrigin), Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Equal("unsupported_media_type", await CodeAsync(form));
    }

    [Fact]
    public async Task AgentApi_DPoPRequest_IsNotAffected_EvenWithAForeignOriginAndACookie()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        // A client that also holds a session cookie: the DPoP header, which no other site can make a browser send, decides.
        using var http = await CookieClientAsync();
        var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        var url = agent.Issuer + "/api/cases";
        using var request = Post(url, JsonContent.Create(new { text = "How do I reset my password?" }), "https://evil.example", "cross-site");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", AgentKit.Proof(dpop, "POST", url, accessToken: token));
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode is not HttpStatusCode.Forbidden && (int)response.StatusCode < 500, $"{(int)response.StatusCode} {body}");
    }
}
