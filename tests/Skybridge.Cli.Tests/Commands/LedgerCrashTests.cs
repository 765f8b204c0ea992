using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary>
/// Durability: a real `skybridge serve` process records events under load and is killed with SIGKILL. Every event
/// it acknowledged must still be there after restart, and the ledger must verify.
/// </summary>
public sealed class LedgerCrashTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Sigkill_UnderLoad_LosesNoAcknowledgedEvent_AndTheLedgerVerifies()
    {
        var data = CliRun.NewDataFolder();
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "skybridge.dll"), "serve", "--data", data, "--urls", $"http://127.0.0.1:{port}", "--sign-in-rate-limit", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        for (var i = 0; i < 120; i++)
        {
            try
            {
                if ((await client.GetAsync("/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250, TestContext.Current.CancellationToken);
            }
        }

        // Each refused sign-in is answered only after its ledger event is committed: a 401 is an acknowledgement.
        var acknowledged = 0;
        // The load runs until the node is killed (or 60 s at most); the kill comes once enough refusals are acknowledged,
        // not after a fixed time, so a slow or busy machine kills it under load just the same.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var workers = Enumerable.Range(0, 8).Select(async w =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = $"nobody-{w}", password = "not-a-password" }, stop.Token);
                    if (response.StatusCode == HttpStatusCode.Unauthorized)
                    {
                        Interlocked.Increment(ref acknowledged);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
                {
                    return;
                }
            }
        }).ToList();

        var loadStarted = Stopwatch.StartNew();
        while ((Volatile.Read(ref acknowledged) < 40 || loadStarted.Elapsed < TimeSpan.FromSeconds(2)) && loadStarted.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs.
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var acked = Volatile.Read(ref acknowledged);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.True(acked >= 10, $"the load produced only {acked} acknowledged events");
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        var head = await store.GetLedgerHeadAsync(TestContext.Current.CancellationToken);
        var refused = 0;
        for (long next = 0; ;)
        {
            var page = await store.ReadLedgerEventsAsync(next, 10_000, TestContext.Current.CancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            refused += page.Count(e => e.Type == "auth.sign_in_refused");
            next = page[^1].Sequence + 1;
        }

        Assert.True(refused >= acked, $"{acked} sign-in refusals were acknowledged but only {refused} are in the ledger");
        var audit = await new LedgerService(store, TimeProvider.System, null).AuditAsync([], null, TestContext.Current.CancellationToken);
        Assert.True(audit.Verified, audit.Problem?.Detail);
        Assert.Equal(head.Size, audit.Events);
    }
}
