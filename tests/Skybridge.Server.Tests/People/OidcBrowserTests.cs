using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.People;

/// <summary>A node whose provider lives on another site (<c>localhost</c>) than the node (<c>127.0.0.1</c>).</summary>
public sealed class CrossSiteOidcServer : OidcServer
{
    protected override bool CrossSite => true;
}

/// <summary>
/// The provider round trip in Chromium: the redirects cross sites, and the session cookie (SameSite=Strict) must still
/// carry the person onto the console.
/// </summary>
public sealed class OidcBrowserTests : IClassFixture<CrossSiteOidcServer>
{
    private readonly CrossSiteOidcServer _server;

    public OidcBrowserTests(CrossSiteOidcServer server) => _server = server;

    [Fact]
    public async Task SignInWithTheProvider_InABrowser_LandsOnTheConsole_SeeingTheMappedWorkflow()
    {
        _server.Provider.Person = new("u-3001", "dana", "Dana Weber", ["support-leads"]);
        await Browser.RunAsync("oidc-sign-in", async page =>
        {
            await page.GotoAsync(new Uri(_server.BaseAddress, "/").ToString());
            await page.ClickAsync("#sign-in-oidc");
            await page.WaitForSelectorAsync("#signed-in-as");
            Assert.Equal("sso.dana", (await page.TextContentAsync("#signed-in-as"))?.Trim());
            var content = await page.ContentAsync();
            Assert.Contains(RunningServer.Workflow, content, StringComparison.Ordinal);
            Assert.DoesNotContain(RunningServer.OtherWorkflow, content, StringComparison.Ordinal);
        });
    }
}
