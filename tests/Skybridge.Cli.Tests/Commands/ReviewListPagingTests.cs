using System.Text.RegularExpressions;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary><c>skybridge review list</c> over a queue longer than a page: every page followed, or one page and how to get the next.</summary>
[Collection("session-environment")]
public sealed partial class ReviewListPagingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"--after (\S+)")]
    private static partial Regex AfterCursor();

    [GeneratedRegex(@"^case-cli-page-\d\d", RegexOptions.Multiline)]
    private static partial Regex Row();

    [Fact]
    public async Task ReviewList_LimitPrintsOnePageAndTheNextCommand_WithoutLimitEveryPageIsRead()
    {
        var data = CliRun.NewDataFolder();
        Environment.SetEnvironmentVariable("SKYBRIDGE_CONFIG", Path.Combine(data, "config"));
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        await using (var ledger = new LedgerWriter(store, TimeProvider.System, "test"))
        {
            var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(await File.ReadAllTextAsync(CliRun.SampleManifest, Ct), "manifest.yaml", null, "test", activate: true, Ct);
            Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
            var accounts = new AccountService(store, TimeProvider.System, ledger);
            await accounts.CreateUserAsync("test", "qa", "QA", "a long enough passphrase", Ct);
            await accounts.GrantRoleAsync("test", "qa", "support-desk", Skybridge.Core.Access.WorkflowRole.Reviewer, Ct);
            // More than the server's default page of 50.
            for (var i = 0; i < 60; i++)
            {
                var caseId = $"case-cli-page-{i:00}";
                await ledger.AppendAsync(
                    [new LedgerEntry { Type = LedgerEventTypes.CaseSampled, Actors = [LedgerActor.System("test")], WorkflowId = "support-desk", CaseId = caseId }],
                    [
                        new CaseRecordedRow(new StoredCase(caseId, "support-desk", "user:dana", "Where is my parcel?", "{}", false, now)),
                        new ReviewEnqueuedRow(new StoredReviewItem(caseId, "support-desk", now, now.AddHours(24).AddMinutes(i), 1, 1, "autonomy_level", 1)),
                    ], Ct);
            }
        }

        await using var app = SkybridgeServer.Build(new SkybridgeServerOptions { Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, store);
        await app.StartNodeAsync(Ct);
        await CliLogin.AsAsync(app, SkybridgeServer.ListeningAddresses(app)[0], "qa", Ct);

        var all = await CliRun.RunAsync("review", "list", "support-desk");
        Assert.True(all.ExitCode == 0, all.Error);
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"case-cli-page-{i:00}"), Row().Matches(all.Output).Select(m => m.Value));
        Assert.DoesNotContain("More cases follow", all.Output, StringComparison.Ordinal);

        var first = await CliRun.RunAsync("review", "list", "support-desk", "--limit", "25");
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal(25, Row().Matches(first.Output).Count);
        Assert.Contains("More cases follow: skybridge review list support-desk --limit 25 --after ", first.Output, StringComparison.Ordinal);
        var seen = Row().Matches(first.Output).Select(m => m.Value).ToList();
        var output = first.Output;
        while (AfterCursor().Match(output) is { Success: true } more)
        {
            var next = await CliRun.RunAsync("review", "list", "support-desk", "--limit", "25", "--after", more.Groups[1].Value);
            Assert.True(next.ExitCode == 0, next.Error);
            seen.AddRange(Row().Matches(next.Output).Select(m => m.Value));
            output = next.Output;
        }

        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"case-cli-page-{i:00}"), seen);

        var tooMany = await CliRun.RunAsync("review", "list", "support-desk", "--limit", "500");
        Assert.Equal(2, tooMany.ExitCode);
        var forged = await CliRun.RunAsync("review", "list", "support-desk", "--after", "not-a-cursor");
        Assert.Equal(2, forged.ExitCode); // a 400: bad input, as the CLI exits for it elsewhere
        Assert.Contains("invalid_cursor", forged.Error, StringComparison.Ordinal);
    }
}
