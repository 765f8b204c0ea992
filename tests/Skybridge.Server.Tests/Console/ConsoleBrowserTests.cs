using Microsoft.Playwright;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Console;

/// <summary>The web console in a real browser: sign-in, workflow list, manifest history, role limits.</summary>
public sealed class ConsoleBrowserTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ConsoleBrowserTests(RunningServer server) => _server = server;

    private async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync(new Uri(_server.BaseAddress, "/").ToString());
        // Not signed in: the console sends people to the sign-in form.
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
    }

    [Fact]
    public async Task Owner_SignsIn_SeesWorkflowsWithActiveVersionAndLevel_AndOpensHistory() =>
        await Browser.RunAsync("owner-history", async page =>
        {
            await SignInAsync(page, "owner", RunningServer.Password);
            var row = page.Locator("#workflows tr[data-workflow='support-desk']");
            await Assertions.Expect(row).ToBeVisibleAsync();
            await Assertions.Expect(row.Locator(".active-version")).ToHaveTextAsync("v1");
            await Assertions.Expect(row.Locator(".autonomy")).ToHaveTextAsync("L0-draft");
            // Another team's workflow is not listed.
            await Assertions.Expect(page.Locator("#workflows tr[data-workflow='billing-disputes']")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync("owner");

            await row.Locator("a").ClickAsync();
            await Assertions.Expect(page.Locator("#active-version")).ToHaveTextAsync("v1");
            await Assertions.Expect(page.Locator("#versions tr[data-version='1']")).ToContainTextAsync("active");
            await Assertions.Expect(page.Locator("#activations")).ToContainTextAsync("activate");

            await page.ClickAsync("#versions tr[data-version='1'] a");
            await Assertions.Expect(page.Locator("#manifest-yaml")).ToContainTextAsync("id: support-desk");

            await page.ClickAsync("#sign-out");
            // Back on the sign-in form: what a person sees once signed out (polled, so a slow machine only waits).
            await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        });

    [Fact]
    public async Task Console_UnderItsContentSecurityPolicy_StillAppliesItsStyle_AndSignsOut() =>
        await Browser.RunAsync("csp", async page =>
        {
            var violations = new List<string>();
            page.Console += (_, message) =>
            {
                if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                {
                    violations.Add(message.Text);
                }
            };
            await SignInAsync(page, "owner", RunningServer.Password);
            await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync("owner");
            // The layout's inline style sheet runs only with the right nonce: its background colour shows it did.
            Assert.Equal("rgb(246, 248, 251)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
            await page.ClickAsync("#sign-out");
            // Back on the sign-in form: what a person sees once signed out (polled, so a slow machine only waits).
            await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
            Assert.Empty(violations);
        });

    [Fact]
    public async Task WrongPassword_ShowsAnError_AndStaysOnTheForm() =>
        await Browser.RunAsync("wrong-password", async page =>
        {
            await SignInAsync(page, "auditor", "not the password");
            await Assertions.Expect(page.Locator("#sign-in-error")).ToContainTextAsync("Wrong user name or password");
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
            // The password field is emptied, never echoed back into the page.
            Assert.Equal("", await page.InputValueAsync("#password"));
        });

    [Fact]
    public async Task Reviewer_SeesHistory_ButNotTheManifestText() =>
        await Browser.RunAsync("reviewer-limits", async page =>
        {
            await SignInAsync(page, "reviewer", RunningServer.Password);
            await page.ClickAsync("#workflows tr[data-workflow='support-desk'] a");
            await Assertions.Expect(page.Locator("#versions tr[data-version='1']")).ToBeVisibleAsync();
            // No link to the YAML for a role that may not read it, and the address itself is refused.
            await Assertions.Expect(page.Locator("#versions tr[data-version='1'] a")).ToHaveCountAsync(0);
            var response = await page.GotoAsync(new Uri(_server.BaseAddress, "/workflows/support-desk/versions/1").ToString());
            Assert.Equal(403, response!.Status);
            await Assertions.Expect(page.Locator("#status-message")).ToContainTextAsync("role does not allow");
        });
}
