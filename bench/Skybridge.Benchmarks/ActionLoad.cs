using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Agents;
using Skybridge.Application.Connectors;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Client;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- action-load [CALLS] [RATE] [--connector http|noop] [--postgres CONNSTRING] [--warmup CALLS] [--connections N] [--node-process]</c>: governed
/// calls over loopback HTTP at a fixed arrival rate. A node runs the sample at L2; an agent (the C# client: token, DPoP
/// proof per request) proposes routine <c>reply</c> actions, each one through token and proof checks, schema, policy
/// and ladder, the durable ledger (the proposal with its claim, on disk before the connector is called; the result
/// queued behind it before the answer leaves) and a connector. With
/// <c>--connector noop</c> (the target's definition) the connector answers at once in process; with <c>http</c> (the
/// default) it is the real HTTP connector calling a system that does nothing (a token minted and recorded for the call,
/// a DPoP proof, an HTTP round trip). The same agent's <c>GET /api/agent/whoami</c> at the same rate is the baseline:
/// the difference is what governing a call adds.
/// </summary>
internal static class ActionLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var calls = positional.Length > 0 ? int.Parse(positional[0], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        var rate = positional.Length > 1 ? int.Parse(positional[1], System.Globalization.CultureInfo.InvariantCulture) : 2_000;
        var noopConnector = Option(args, "--connector") == "noop";
        var postgres = Option(args, "--postgres");
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-bench-actions-" + Guid.NewGuid().ToString("N"));
        // --node-process: the node runs in a process of its own, as a node serves agents that are not inside it; the load
        // generator (this process) then shares the cores but not the node's thread pool, heap and collections.
        var separate = args.Contains("--node-process");

        NodeRig? rig = null;
        NodeProcess? child = null;
        string credentialsJson;
        string provider;
        if (separate)
        {
            child = await NodeProcess.StartAsync(folder, noopConnector, postgres);
            credentialsJson = child.CredentialsJson;
            provider = child.Provider;
        }
        else
        {
            rig = await NodeRig.StartAsync(folder, noopConnector, postgres);
            credentialsJson = rig.CredentialsJson;
            provider = rig.Store.Provider;
        }

        try
        {
            var credentials = SkybridgeAgentCredentials.Parse(credentialsJson);
            // An open-loop generator opens a connection for every call that finds none free: on a machine that falls behind
            // that is thousands, each a descriptor on both ends of this one process. --connections N caps them for overload
            // runs; it is off by default because .NET's handler spends more CPU on every call once it has a cap (measured:
            // about 0.05 ms per governed call at 2,000/s with a cap of 2,048 that was never reached).
            var connections = Option(args, "--connections") is { } c ? int.Parse(c, System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;
            using var http = SkybridgeAgent.CreateHttpClient(credentials, new SkybridgeAgentOptions { InnerHandler = new SocketsHttpHandler { MaxConnectionsPerServer = connections } });

            // Warm up both paths (connections, the token, and the JIT: tiered compilation keeps recompiling hot methods for
            // seconds after they are first called, and a node runs for days, so each path is warmed for 10 s at the rate
            // unless --warmup says how many calls), then measure each at the same arrival rate.
            var warmup = Option(args, "--warmup") is { } w ? int.Parse(w, System.Globalization.CultureInfo.InvariantCulture) : Math.Max(2_000, rate * 10);
            var node = child?.Process;
            await RunAtRateAsync(warmup, rate, i => Whoami(http), node);
            await RunAtRateAsync(warmup, rate, i => Reply(http, "warm-" + i), node);
            var baseline = await RunAtRateAsync(calls, rate, i => Whoami(http), node);
            var governed = await RunAtRateAsync(calls, rate, i => Reply(http, "call-" + i), node);

            Console.WriteLine($"{calls} calls each at {rate}/s offered after {warmup} to warm up, {Environment.ProcessorCount} cores, loopback, {provider}, {(noopConnector ? "no-op connector in process" : "HTTP connector to a system that does nothing")}, {(separate ? "node in a process of its own (CPU: both processes; allocation and collections: the generator's only)" : "node and generator in one process")}");
            Console.WriteLine($"baseline GET /api/agent/whoami: {baseline}");
            Console.WriteLine($"governed reply (policy, ledger, connector): {governed}");
            Console.WriteLine($"added by governing: p50 {governed.P50 - baseline.P50:0.00} ms, p99 {governed.P99 - baseline.P99:0.00} ms, CPU {governed.CpuPerCall - baseline.CpuPerCall:0.000} ms/call, {governed.KilobytesPerCall - baseline.KilobytesPerCall:0.0} KB allocated/call");
            // A result is written just after its caller is answered: wait for the last ones before counting.
            var executed = rig is not null ? await rig.ExecutedAsync() : await child!.StopAsync();
            Console.WriteLine($"actions executed: {executed} (expected {calls + warmup})");
            return executed == calls + warmup ? 0 : 1;
        }
        finally
        {
            if (rig is not null)
            {
                await rig.DisposeAsync();
            }

            child?.Dispose();
        }
    }

    /// <summary>
    /// <c>action-node FOLDER [--connector noop] [--postgres CONNSTRING]</c>: the node of <c>action-load --node-process</c>,
    /// in a process of its own. It prints <c>credentials BASE64</c> and <c>provider NAME</c> once it serves, and on a line
    /// on its standard input (or its end) waits for the last results to be written and prints <c>executed N</c>.
    /// </summary>
    public static async Task<int> RunNodeAsync(string[] args)
    {
        var folder = args[1];
        await using var rig = await NodeRig.StartAsync(folder, Option(args, "--connector") == "noop", Option(args, "--postgres"));
        Console.WriteLine("provider " + rig.Store.Provider);
        Console.WriteLine("credentials " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(rig.CredentialsJson)));
        await Console.In.ReadLineAsync();
        Console.WriteLine("executed " + await rig.ExecutedAsync());
        return 0;
    }

    /// <summary>A node running the sample at L2 with its agent registered, and the system that does nothing.</summary>
    private sealed record NodeRig(WebApplication Noop, ISkybridgeStore Store, WebApplication App, string CredentialsJson) : IAsyncDisposable
    {
        public static async Task<NodeRig> StartAsync(string folder, bool noopConnector, string? postgres)
        {
            // The system of record that does nothing: answers every action at once.
            // Its content root is this program's folder, not the working directory: configuration files are watched
            // for changes under the content root, and a working directory such as /tmp (where the node's data folder
            // is) would have the watcher read an event for every write of the node's database.
            var noopBuilder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            noopBuilder.WebHost.UseUrls("http://127.0.0.1:0");
            noopBuilder.Logging.ClearProviders();
            var noop = noopBuilder.Build();
            noop.MapPost("/{action}", () => Results.Json(new { ok = true }));
            await noop.StartAsync();
            var noopUrl = noop.Urls.First().TrimEnd('/');

            var store = postgres is null ? SkybridgeStores.OpenSqlite(folder) : SkybridgeStores.OpenPostgres(postgres);
            await store.MigrateAsync();
            await store.RecordAutonomyGrantAsync(new AutonomyGrant { WorkflowId = "support-desk", Level = "L2-approve-consequential", GrantedBy = "bench", GrantedAt = DateTimeOffset.UtcNow, Evidence = "benchmark" });
            await using (var ledger = new LedgerWriter(store, TimeProvider.System, "bench"))
            {
                var yaml = (await File.ReadAllTextAsync(IssuanceRig.FindSample()))
                    .Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal)
                    .Replace("http://127.0.0.1:5081/helpdesk", noopUrl, StringComparison.Ordinal);
                var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(yaml, "manifest.yaml", null, "bench", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
                if (!published.IsValid)
                {
                    throw new InvalidOperationException("The benchmark manifest does not validate: " + string.Join("; ", published.Diagnostics));
                }
            }

            var issuer = $"http://127.0.0.1:{IssuanceRig.FreePort()}";
            var app = SkybridgeServer.Build(new SkybridgeServerOptions
            {
                Urls = issuer, PublicUrl = issuer, NodeId = "bench", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
                RateLimits = new RequestRateLimits { Enabled = false },
                ExtraResources = [noopUrl],
                LedgerKeyFile = Path.Combine(folder, "keys", "ledger.key"),
                SecretsKeyFile = Path.Combine(folder, "keys", "secrets.key"),
                TokenKeyFile = Path.Combine(folder, "keys", "token-signing.jwk"),
            }, store, configureServices: noopConnector ? s => s.AddSingleton<IConnectors, NoopConnectors>() : null);
            await app.StartNodeAsync(default);
            var pair = AgentKeyPair.Generate();
            var agent = await app.Services.GetRequiredService<AgentService>().RegisterAsync("bench", "support-desk", "bench-agent", "responder", pair.PublicJwk, default);
            await store.SaveCaseAsync(new StoredCase("case-bench", "support-desk", "bench", "Where is my parcel?", "{}", false, DateTimeOffset.UtcNow));
            return new NodeRig(noop, store, app, pair.CredentialsJson(issuer, agent.Agent!.ClientId, "support-desk", "responder", "cases:read cases:write actions:propose"));
        }

        /// <summary>Actions executed, once the results queued behind their answers are written.</summary>
        public async Task<int> ExecutedAsync()
        {
            await App.Services.GetRequiredService<ILedger>().FlushAsync();
            return (await Store.ListActionsByStatusAsync(ActionStatuses.Executed, int.MaxValue)).Count;
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Store.DisposeAsync();
            await Noop.DisposeAsync();
        }
    }

    /// <summary>The node of <c>--node-process</c>: this program again, as <c>action-node</c>, in a child process.</summary>
    private sealed record NodeProcess(Process Process, string CredentialsJson, string Provider) : IDisposable
    {
        public static async Task<NodeProcess> StartAsync(string folder, bool noopConnector, string? postgres)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            {
                start.ArgumentList.Add(typeof(ActionLoad).Assembly.Location);
            }

            foreach (var arg in (string[])["action-node", folder, .. noopConnector ? ["--connector", "noop"] : Array.Empty<string>(), .. postgres is null ? [] : new[] { "--postgres", postgres }])
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("The node process did not start.");
            string? provider = null;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("provider ", StringComparison.Ordinal))
                {
                    provider = line["provider ".Length..];
                }
                else if (line.StartsWith("credentials ", StringComparison.Ordinal))
                {
                    return new NodeProcess(process, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(line["credentials ".Length..])), provider ?? "?");
                }
            }

            throw new InvalidOperationException("The node process ended before it served.");
        }

        /// <summary>Asks the node to finish writing and returns how many actions it executed.</summary>
        public async Task<int> StopAsync()
        {
            await Process.StandardInput.WriteLineAsync("done");
            await Process.StandardInput.FlushAsync();
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("executed ", StringComparison.Ordinal))
                {
                    await Process.WaitForExitAsync();
                    return int.Parse(line["executed ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return -1;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            Process.Dispose();
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The connector of the target's definition: it does nothing and answers at once.</summary>
    private sealed class NoopConnectors : IConnectors, IConnector
    {
        private static readonly ConnectorResult Done = new()
        {
            Outcome = ConnectorOutcome.Executed,
            KnownNotExecuted = false,
            StatusCode = 200,
            Attempts = 1,
        };

        public IConnector For(Skybridge.Core.Manifests.Connector connector) => this;

        public Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken) => Task.FromResult(Done);
    }

    private static async Task Whoami(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/api/agent/whoami", UriKind.Relative));
        response.EnsureSuccessStatusCode();
    }

    private static async Task Reply(HttpClient http, string key)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/api/cases/case-bench/actions", UriKind.Relative), new
        {
            action = "reply",
            parameters = new JsonObject { ["ticket_id"] = "RT-000001", ["body"] = "Your parcel left our warehouse today." },
            idempotencyKey = key,
        });
        if (response.StatusCode != HttpStatusCode.OK || (await response.Content.ReadFromJsonAsync<JsonObject>())?["status"]?.GetValue<string>() != "executed")
        {
            throw new InvalidOperationException($"Call {key} was not executed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A measured run; CPU and allocation are the whole process's (node and load generator) per call, JIT the methods compiled meanwhile.</summary>
    private sealed record Run(double Achieved, double P50, double P99, double CpuPerCall, long Jitted, double KilobytesPerCall, int Collections)
    {
        public override string ToString() =>
            $"{Achieved:0}/s, p50 {P50:0.00} ms, p99 {P99:0.00} ms, CPU {CpuPerCall:0.000} ms/call, {KilobytesPerCall:0.0} KB allocated/call, {Collections} GCs, {Jitted} methods compiled meanwhile";
    }

    /// <summary>Open loop: call i starts at i/rate seconds whatever the others do; latency from its planned start.</summary>
    private static async Task<Run> RunAtRateAsync(int count, int rate, Func<int, Task> call, Process? node)
    {
        var latencies = new double[count];
        TimeSpan Cpu()
        {
            node?.Refresh();
            return Process.GetCurrentProcess().TotalProcessorTime + (node?.TotalProcessorTime ?? TimeSpan.Zero);
        }

        var cpu = Cpu();
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var allocated = GC.GetTotalAllocatedBytes();
        var collections = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        var tasks = new Task[count];
        for (var i = 0; i < count; i++)
        {
            var planned = TimeSpan.FromSeconds((double)i / rate);
            var wait = planned - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                await call(index);
                latencies[index] = (clock.Elapsed - planned).TotalMilliseconds;
            });
        }

        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new Run(count / elapsed, latencies[count / 2], latencies[(int)(count * 0.99)],
            (Cpu() - cpu).TotalMilliseconds / count, System.Runtime.JitInfo.GetCompiledMethodCount() - jitted,
            (GC.GetTotalAllocatedBytes() - allocated) / 1024.0 / count, GC.CollectionCount(0) - collections);
    }
}
