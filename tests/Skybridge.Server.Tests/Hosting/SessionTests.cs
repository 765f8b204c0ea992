using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>A node whose public URL is https (behind a TLS-terminating proxy).</summary>
public sealed class HttpsPublicUrlServer : RunningServer
{
    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with { PublicUrl = "https://skybridge.example" };
}

/// <summary>Sign-out ends the session on the server, and the console's pages carry a strict Content-Security-Policy.</summary>
public sealed partial class SessionTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public SessionTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient WithCookie(string cookie)
    {
        var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = _server.BaseAddress };
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    [Fact]
    public async Task SignOut_ACopiedSessionCookie_StopsWorking()
    {
        using var person = _server.Client();
        using var signIn = await person.PostAsJsonAsync("/api/auth/sign-in", new { userName = "owner", password = RunningServer.Password }, Ct);
        var cookie = string.Join("; ", signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        Assert.StartsWith(SkybridgeServer.SessionCookieName, cookie, StringComparison.Ordinal);

        using var copy = WithCookie(cookie);
        using (var before = await copy.GetAsync("/api/me", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        person.DefaultRequestHeaders.Add("Origin", _server.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var signOut = await person.PostAsync("/api/auth/sign-out", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);

        using var after = await copy.GetAsync("/api/me", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using var page = await copy.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/signin", page.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsolePages_CarryAStrictCsp_AndTheirStyleItsNonce()
    {
        using var client = await _server.SignedInClientAsync("owner");
        foreach (var path in new[] { "/signin", "/", $"/workflows/{RunningServer.Workflow}", "/no-such-page" })
        {
            using var response = await client.GetAsync(path, Ct);
            var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            var nonce = NonceIn().Match(csp).Groups[1].Value;
            Assert.NotEmpty(nonce);
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains($"<style nonce=\"{nonce}\">", html, StringComparison.Ordinal);
            Assert.DoesNotContain("style=\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [GeneratedRegex("'nonce-([A-Za-z0-9+/=]+)'")]
    private static partial Regex NonceIn();
}

/// <summary>The session cookie of a node behind https is Secure even though the node itself is reached over http.</summary>
public sealed class SecureCookieTests : IClassFixture<HttpsPublicUrlServer>
{
    private readonly HttpsPublicUrlServer _server;

    public SecureCookieTests(HttpsPublicUrlServer server) => _server = server;

    [Fact]
    public async Task SessionCookie_IsSecure_WhenThePublicUrlIsHttps()
    {
        using var client = _server.Client();
        using var signIn = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "owner", password = RunningServer.Password }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(SkybridgeServer.SessionCookieName, StringComparison.Ordinal));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }
}
