using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tokens;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge review list|submit|summary</c> against a real node, signed in as a reviewer of the sample's review authority.</summary>
[Collection("session-environment")]
public sealed partial class ReviewCommandTests
{

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Review_ListSubmitSummary_AsTheSignedInReviewer_WithExitCodes()
    {
        var data = CliRun.NewDataFolder();
        Environment.SetEnvironmentVariable("SKYBRIDGE_CONFIG", Path.Combine(data, "config"));
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        await using (var ledger = new LedgerWriter(store, TimeProvider.System, "test"))
        {
            var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(await File.ReadAllTextAsync(CliRun.SampleManifest, Ct), "manifest.yaml", null, "test", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
            Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
            var accounts = new AccountService(store, TimeProvider.System, ledger);
            await accounts.CreateUserAsync("test", "qa", "QA", "a long enough passphrase", Ct);
            await accounts.GrantRoleAsync("test", "qa", "support-desk", Skybridge.Core.Access.WorkflowRole.Reviewer, Ct);
            // The sample's review authority is group:support-qa.
            await new GroupService(store, ledger, TimeProvider.System).AddAsync("test", "support-qa", "qa", Ct);
            // A drafted case, queued as the sampler queues it.
            await ledger.AppendAsync(
                [new LedgerEntry { Type = LedgerEventTypes.CaseSampled, Actors = [LedgerActor.System("test")], WorkflowId = "support-desk", CaseId = "case-cli-1" }],
                [
                    new CaseRecordedRow(new StoredCase("case-cli-1", "support-desk", "user:dana", "Where is my parcel?", "{}", false, now)),
                    new ReviewEnqueuedRow(new StoredReviewItem("case-cli-1", "support-desk", now, now.AddHours(24), 1, 1, "autonomy_level", 1)),
                ], Ct);
        }

        await using var app = SkybridgeServer.Build(new SkybridgeServerOptions { Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, store);
        await app.StartNodeAsync(Ct);
        await CliLogin.AsAsync(app, SkybridgeServer.ListeningAddresses(app)[0], "qa", Ct);

        var list = await CliRun.RunAsync("review", "list", "support-desk");
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains("case-cli-1", list.Output, StringComparison.Ordinal);
        var overdue = await CliRun.RunAsync("review", "list", "support-desk", "--overdue");
        Assert.True(overdue.ExitCode == 0, overdue.Error);
        Assert.Contains("No overdue reviews", overdue.Output, StringComparison.Ordinal);

        var bad = await CliRun.RunAsync("review", "submit", "case-cli-1", "--correctness", "fine", "--citations", "ok", "--action", "right");
        Assert.Equal(2, bad.ExitCode);
        var submit = await CliRun.RunAsync("review", "submit", "case-cli-1", "--correctness", "partly", "--citations", "missing", "--action", "none_needed", "--comment", "misses the return window");
        Assert.True(submit.ExitCode == 0, submit.Error);
        var again = await CliRun.RunAsync("review", "submit", "case-cli-1", "--correctness", "correct", "--citations", "ok", "--action", "right");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already_reviewed", again.Error, StringComparison.Ordinal);
        var unknown = await CliRun.RunAsync("review", "submit", "case-none", "--correctness", "correct", "--citations", "ok", "--action", "right");
        Assert.Equal(1, unknown.ExitCode);

        var summary = await CliRun.RunAsync("review", "summary", "support-desk");
        Assert.True(summary.ExitCode == 0, summary.Error);
        Assert.Contains("1 sampled, 0 open, 1 done, 0 overdue, 1 reviews", summary.Output, StringComparison.Ordinal);
        Assert.Contains("(0/1)", summary.Output, StringComparison.Ordinal);
        var done = await CliRun.RunAsync("review", "list", "support-desk", "--done");
        Assert.Contains("case-cli-1", done.Output, StringComparison.Ordinal);
    }

}
