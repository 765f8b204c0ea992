using Microsoft.Playwright;

namespace Skybridge.Server.Tests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright (no browser download). Missing Chromium fails the test with what to do,
/// unless the run opted out with SKYBRIDGE_TEST_SKIP_BROWSER=1, which shows up as a skip, never as a pass.
/// </summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (Environment.GetEnvironmentVariable("SKYBRIDGE_TEST_SKIP_BROWSER") == "1")
            {
                Assert.Skip("Browser tests skipped: SKYBRIDGE_TEST_SKIP_BROWSER=1 and no Chromium at " + ChromiumPath);
            }

            Assert.Fail($"Chromium is not installed at {ChromiumPath}. Run scripts/test.sh (it installs it), or set SKYBRIDGE_TEST_SKIP_BROWSER=1 to skip browser tests.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return (playwright, browser);
    }

    /// <summary>Runs a browser scenario; on failure saves a screenshot under the test output's screenshots/ folder and says where.</summary>
    public static async Task RunAsync(string name, Func<IPage, Task> scenario)
    {
        var (playwright, browser) = await LaunchAsync();
        try
        {
            await using var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(15_000);
            try
            {
                await scenario(page);
            }
            catch (Exception ex)
            {
                var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
                Directory.CreateDirectory(folder);
                var file = Path.Combine(folder, $"{name}-{DateTime.UtcNow:yyyyMMddHHmmss}.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
                throw new InvalidOperationException($"Browser scenario '{name}' failed at {page.Url}; screenshot: {file}", ex);
            }
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    /// <summary>Signs <paramref name="userName"/> in through the console's form at <paramref name="baseUrl"/> and waits until the page says so.</summary>
    public static async Task SignInAsync(IPage page, string baseUrl, string userName, string password)
    {
        await page.GotoAsync(baseUrl.TrimEnd('/') + "/");
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(userName);
    }

    /// <summary>Collects the Content-Security-Policy violations the page reports: a console page must have none.</summary>
    public static List<string> WatchCsp(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(message.Text);
            }
        };
        return violations;
    }
}
