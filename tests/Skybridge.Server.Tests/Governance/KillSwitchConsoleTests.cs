using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>
/// The kill switch on the workflow page: one button, shown pressable only to the halt authority, saying who may press
/// it and, once pressed, who pressed it and why.
/// </summary>
public sealed partial class KillSwitchConsoleTests : IAsyncLifetime
{
    private readonly RunningServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private const string Page = "/workflows/" + RunningServer.Workflow;

    [Fact]
    public async Task WorkflowPage_HaltButton_PressedByTheAuthority_ShowsWhoAndWhy_ThenResumes()
    {
        using var operatorClient = await _server.SignedInClientAsync("operator");
        var running = await operatorClient.GetStringAsync(Page, Ct);
        Assert.Contains("data-halted=\"false\"", running, StringComparison.Ordinal);
        Assert.Contains("Who may press it: group:support-ops, user:maria.lopez, user:owner, user:admin", running, StringComparison.Ordinal);
        Assert.Matches("<button type=\"submit\" id=\"halt-button\">Halt workflow</button>", running);

        var halted = await PressAsync(operatorClient, running, "Halt", "refunds misfiring & duplicated");
        Assert.Contains("data-halted=\"true\"", halted, StringComparison.Ordinal);
        Assert.Contains("<strong id=\"halted-by\">operator</strong>", halted, StringComparison.Ordinal);
        Assert.Contains("refunds misfiring &amp; duplicated", halted, StringComparison.Ordinal);
        Assert.Contains(">Resume workflow</button>", halted, StringComparison.Ordinal);
        Assert.Single(await _server.Store.ListHaltsAsync(Ct));

        var resumed = await PressAsync(operatorClient, halted, "Resume", "fixed");
        Assert.Contains("data-halted=\"false\"", resumed, StringComparison.Ordinal);
        Assert.Empty(await _server.Store.ListHaltsAsync(Ct));
    }

    [Fact]
    public async Task WorkflowPage_ForARoleHolderOutsideTheAuthority_ShowsADisabledButton_AndRefusesAForgedPress()
    {
        var accounts = _server.Services.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("seed", "night.ops", "Night ops", RunningServer.Password, Ct);
        await accounts.GrantRoleAsync("seed", "night.ops", RunningServer.Workflow, WorkflowRole.Operator, Ct);
        using var outsider = await _server.SignedInClientAsync("night.ops");

        var page = await outsider.GetStringAsync(Page, Ct);
        Assert.Contains("id=\"halt-button\" disabled", page, StringComparison.Ordinal);
        Assert.Contains("Only the halt authority may press this.", page, StringComparison.Ordinal);

        // A hand-made form post, with the page's own antiforgery token (from its sign-out form), is refused.
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        Assert.NotEmpty(token);
        using var post = await outsider.PostAsync(Page + "?handler=Halt", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["reason"] = "forged", ["__RequestVerificationToken"] = token,
        }), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Empty(await _server.Store.ListHaltsAsync(Ct));
    }

    private async Task<string> PressAsync(HttpClient client, string page, string handler, string reason)
    {
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        using var post = await client.PostAsync(Page + "?handler=" + handler, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["reason"] = reason, ["__RequestVerificationToken"] = token,
        }), Ct);
        Assert.True(post.StatusCode == HttpStatusCode.Redirect, await post.Content.ReadAsStringAsync(Ct));
        return await client.GetStringAsync(Page, Ct);
    }
}
