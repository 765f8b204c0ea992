using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Server;
using Skybridge.Application.Accounts;
using Skybridge.Server.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge login</c> against a real node: the code it shows is approved, the session lets <c>whoami</c> work.</summary>
[Collection("session-environment")]
public sealed partial class SessionCommandTests
{
    [GeneratedRegex("code ([A-Z]{4}-[A-Z]{4})")]
    private static partial Regex UserCode();

    [Fact]
    public async Task Login_ApprovedCode_KeepsAnOwnerOnlySession_AndWhoamiAnswersAsThePerson()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = CliRun.NewDataFolder();
        var config = Path.Combine(data, "config");
        Environment.SetEnvironmentVariable("SKYBRIDGE_CONFIG", config);
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(ct);
        await using (var ledger = new LedgerWriter(store, TimeProvider.System, "test"))
        {
            await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(await File.ReadAllTextAsync(CliRun.SampleManifest, ct), "manifest.yaml", null, "test", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), ct);
            var accounts = new AccountService(store, TimeProvider.System, ledger);
            await accounts.CreateUserAsync("test", "dana", "Dana", "a long enough passphrase", ct);
            await accounts.GrantRoleAsync("test", "dana", "support-desk", Skybridge.Core.Access.WorkflowRole.Operator, ct);
        }

        await using var app = SkybridgeServer.Build(new SkybridgeServerOptions { Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, store);
        await app.StartNodeAsync(ct);
        var url = SkybridgeServer.ListeningAddresses(app)[0];

        var output = new StringWriter();
        var io = new CliIo(TextWriter.Synchronized(output), TextWriter.Synchronized(new StringWriter()), new StringReader(""), inputRedirected: true);
        var login = CliApp.RunAsync(["login", "--server", url], io, ct);
        string? code = null;
        for (var i = 0; i < 100 && code is null; i++)
        {
            await Task.Delay(100, ct);
            code = UserCode().Match(output.ToString()) is { Success: true } m ? m.Groups[1].Value : null;
        }

        Assert.NotNull(code);
        Assert.Equal(DeviceApproval.Approved, await app.Services.GetRequiredService<DeviceAuthorizationService>().ApproveAsync(code, "dana", approve: true, ct));
        Assert.Equal(0, await login);
        Assert.Contains("Signed in to", output.ToString(), StringComparison.Ordinal);
        var session = Path.Combine(config, "session.json");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(session));
        }

        var whoami = await CliRun.RunAsync("whoami");
        Assert.True(whoami.ExitCode == 0, whoami.Error);
        Assert.Contains("user:dana", whoami.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", whoami.Output + output, StringComparison.Ordinal);

        // The session asks the server too: the case goes to /api/cases as dana (nothing is ingested here, so it abstains).
        var ask = await CliRun.RunAsync("ask", "support-desk", "Where is my parcel?", "--json");
        Assert.True(ask.ExitCode == 0, ask.Error);
        Assert.Contains("\"reason\": \"no_sources\"", ask.Output, StringComparison.Ordinal);
        Assert.Contains("\"caseId\": \"case-", ask.Output, StringComparison.Ordinal);

        // With the ticket's id the node's responder proposes the escalation for dana; at the sample's L0 it is only
        // recorded, as skybridge:responder's proposal with dana in its actor chain (so dana may not approve it).
        var attributed = await CliRun.RunAsync("ask", "support-desk", "Where is my parcel?", "--attr", "ticket_id=RT-000123");
        Assert.True(attributed.ExitCode == 0, attributed.Error);
        Assert.Contains("Proposed escalate: recorded only", attributed.Output, StringComparison.Ordinal);
        var proposed = (await store.ReadLedgerEventsAsync(0, 10_000, ct)).Last(e => e.Type == Skybridge.Core.Ledger.Events.LedgerEventTypes.ActionProposed);
        var escalation = await store.FindActionAsync(Skybridge.Application.Cases.CaseResponder.Requester, Skybridge.Application.Cases.CaseResponder.IdempotencyKey(proposed.CaseId!), ct);
        Assert.Equal(("escalate", "recorded", """{"queue":"warranty","ticket_id":"RT-000123"}"""), (escalation!.Action, escalation.Status, escalation.Parameters));
        Assert.Contains("\"dana\"", proposed.Body, StringComparison.Ordinal);

        var token = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(session, ct)).RootElement.GetProperty("access_token").GetString()!;
        var validator = app.Services.GetRequiredService<Skybridge.Application.Tokens.Validation.TokenValidator>();
        Assert.True(validator.CheckIssued(token, DateTimeOffset.UtcNow).IsValid);
        var logout = await CliRun.RunAsync("logout");
        Assert.Equal(0, logout.ExitCode);
        Assert.False(File.Exists(session));

        // logout revoked the token on the server first (RFC 7009, public client): a copy left behind is dead too.
        Assert.Contains("revoked on the server", logout.Output, StringComparison.Ordinal);
        var check = validator.CheckIssued(token, DateTimeOffset.UtcNow);
        Assert.Equal("invalid_token", check.Error?.Code);
        var events = await store.ReadLedgerEventsAsync(0, 10_000, ct);
        Assert.Contains(events, e => e.Type == "token.revoked" && e.Body.Contains("\"dana\"", StringComparison.Ordinal));
        Assert.Equal(1, (await CliRun.RunAsync("whoami")).ExitCode);
        await app.StopAsync(ct);
    }
}
