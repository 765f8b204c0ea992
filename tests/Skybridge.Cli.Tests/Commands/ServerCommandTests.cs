using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Skybridge.Cli.Tests.Commands;

public sealed class ServerCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_PortInUse_SaysSo_AndExitsOne()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("already in use", run.Error, StringComparison.Ordinal);
    }

    /// <summary>A free port whose next port is free too: <c>up</c> runs the sample system of record there.</summary>
    private static int FreePortPair()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            try
            {
                using var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // The next port is taken: try another pair.
            }
        }
    }

    [Fact]
    public async Task Up_AnyFreePort_IsRefused_BecauseTheSampleSystemNeedsTheNextPort()
    {
        var run = await CliRun.RunAsync("up", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("needs a fixed port", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_NextPortInUse_SaysTheSampleSystemCannotStart_AndExitsOne()
    {
        var port = FreePortPair();
        using var blocker = new TcpListener(IPAddress.Loopback, port + 1);
        blocker.Start();
        var run = await CliRun.RunAsync("up", "--data", CliRun.NewDataFolder(), "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"sample helpdesk-and-billing system on http://127.0.0.1:{port + 1}", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_NegativeRateLimit_IsRefused_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0", "--sign-in-rate-limit", "-5");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--sign-in-rate-limit must be 0 (no limit) or more", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ZeroMaxConnections_IsRefused_AndExitsTwo()
    {
        var run = await CliRun.RunAsync("serve", "--data", CliRun.NewDataFolder(), "--urls", "http://127.0.0.1:0", "--max-connections", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--max-connections must be at least 1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_DataFolderThatCannotBeCreated_SaysWhy_AndExitsOne()
    {
        // A regular file where a folder should be: fails even for root, unlike a permission bit.
        var file = Path.GetTempFileName();
        var run = await CliRun.RunAsync("serve", "--data", Path.Combine(file, "data"), "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(file, run.Error, StringComparison.Ordinal);
        Assert.Contains("--data", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_UnreachablePostgres_SaysWhere_WithoutThePassword()
    {
        var port = FreePort();
        var run = await CliRun.RunAsync("serve", "--postgres", $"Host=127.0.0.1;Port={port};Username=skybridge;Password=hunter2-secret;Database=skybridge;Timeout=3", "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", run.Error + run.Output, StringComparison.Ordinal);
    }

    /// <summary>The README's first command, as a real process: `skybridge up` answers /health and serves the console.</summary>
    [Fact]
    public async Task Up_StartsTheServer_WithTheSampleActive_AndHealthAnswers200()
    {
        var data = CliRun.NewDataFolder();
        var port = FreePortPair();
        var dll = Path.Combine(AppContext.BaseDirectory, "skybridge.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "up", "--data", data, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var healthy = false;
            // Up to two minutes: before it listens, `up` evaluates the sample's golden set, embedding its help centre
            // the first time (seconds on an idle machine, much longer on a loaded one).
            for (var attempt = 0; attempt < 480 && !healthy && !process.HasExited; attempt++)
            {
                try
                {
                    healthy = (await client.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250, TestContext.Current.CancellationToken);
                }
            }

            Assert.True(healthy, "skybridge up never answered /health:\n" + output);
            using var signin = await client.GetAsync("/signin", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, signin.StatusCode);

            // The sample system of record runs beside it on the next port, and wants Skybridge's DPoP tokens.
            using var desk = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port + 1}") };
            using var deskHealth = await desk.GetAsync("/health", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, deskHealth.StatusCode);
            using var anonymous = await desk.GetAsync("/helpdesk/tickets/RT-000001", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.True(File.Exists(Path.Combine(data, "helpdesk-billing", "helpdesk-billing.db")));

            var credentials = await File.ReadAllLinesAsync(Path.Combine(data, "demo-accounts.txt"), TestContext.Current.CancellationToken);
            Assert.Contains(credentials, l => l.StartsWith("owner\t", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "demo-accounts.txt")));
            }

            lock (output)
            {
                var printed = output.ToString();
                Assert.Contains($"http://127.0.0.1:{port}/", printed, StringComparison.Ordinal);
                Assert.Contains($"Sample system of record (helpdesk and billing): http://127.0.0.1:{port + 1}", printed, StringComparison.Ordinal);
                // Passwords go to the file, never to the terminal or the log.
                foreach (var line in credentials.Where(l => !l.StartsWith('#')))
                {
                    Assert.DoesNotContain(line.Split('\t')[1], printed, StringComparison.Ordinal);
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        // The active sample's connectors point at the system up started, not at the manifest's default port.
        await using var store = Skybridge.Storage.SkybridgeStores.OpenSqlite(data);
        var workflow = await store.GetWorkflowAsync("support-desk", TestContext.Current.CancellationToken);
        var active = await store.GetVersionAsync("support-desk", workflow!.ActiveVersion!.Value, TestContext.Current.CancellationToken);
        Assert.Contains($"endpoint: http://127.0.0.1:{port + 1}/helpdesk", active!.Yaml, StringComparison.Ordinal);
        Assert.Contains($"endpoint: http://127.0.0.1:{port + 1}/billing", active.Yaml, StringComparison.Ordinal);

        // The activation gate decided on the sample's own evaluation of that exact text, stored as evidence: cleared
        // by it, or (while the sample is below its bar) a set-up override that names the run and says so.
        var runs = await store.ListEvaluationRunsAsync("support-desk", TestContext.Current.CancellationToken);
        var run = Assert.Single(runs);
        Assert.Equal(active.ContentHash, run.ManifestHash);
        var basis = (await store.ListActivationsAsync("support-desk", TestContext.Current.CancellationToken))[0].Basis!;
        Assert.Equal(run.Id, basis.RunId);
        Assert.Equal(run.Verdict == Skybridge.Storage.StoredEvaluationRun.Clears ? Skybridge.Storage.ActivationBasis.Evaluation : Skybridge.Storage.ActivationBasis.Setup, basis.Gate);

        // The sample's authorities name groups only; the demo approver and operator are in them.
        Assert.Equal(["support-leads"], (await store.ListGroupsOfUserAsync("approver", TestContext.Current.CancellationToken)).Select(m => m.GroupName));
        Assert.Equal(["support-ops"], (await store.ListGroupsOfUserAsync("operator", TestContext.Current.CancellationToken)).Select(m => m.GroupName));
    }
}
