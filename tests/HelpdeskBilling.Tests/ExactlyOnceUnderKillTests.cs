using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Accounts;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Client;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests;

/// <summary>
/// Exactly once when the node dies between approval and execution: a real node (<c>skybridge serve</c>, its own process)
/// is SIGKILLed while the refunds its approver just approved are on their way to the system of record. A gate in front
/// of the system holds them there; after the kill it lets half of them through (the system refunded, the node never
/// heard) and drops the rest (the call never arrived). The node starts again on the same data folder; its outbox takes
/// the claims the dead process left and sends them again with the same Idempotency-Key. The system's own tables must show
/// each order refunded exactly once, and Skybridge one <c>action.executed</c> per action.
/// </summary>
public sealed class ExactlyOnceUnderKillTests : IAsyncDisposable
{
    private const string Workflow = "support-desk";
    private const string Password = "correct horse battery staple";
    private const int Calls = 20;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-kill-" + Guid.NewGuid().ToString("N"));
    private readonly List<WebApplication> _apps = [];
    private Process? _node;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string OrderId(int i) => "SO-" + (200_000 + i).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task ApprovedRefunds_RunExactlyOnce_WhenTheNodeIsKilledBetweenApprovalAndExecution()
    {
        var nodeUrl = "http://127.0.0.1:" + FreePort();
        var gate = new Gate();
        var gateApp = await gate.StartAsync();
        _apps.Add(gateApp);
        var gateUrl = gateApp.Urls.First().TrimEnd('/');

        // The system of record is reached only through the gate: its audiences and DPoP URLs are the gate's.
        var desk = await HelpdeskBillingApp.StartAsync(new HelpdeskBillingOptions
        {
            Urls = "http://127.0.0.1:0", PublicUrl = gateUrl, DataFolder = Path.Combine(_folder, "desk"), SkybridgeIssuer = nodeUrl,
            MinimumLogLevel = LogLevel.Warning,
        }, TimeProvider.System, Ct);
        _apps.Add(desk);
        gate.Target = HelpdeskBillingApp.ListeningAddresses(desk)[0].TrimEnd('/');
        var deskDb = Path.Combine(_folder, "desk", "helpdesk-billing.db");
        await AddOrdersAsync(deskDb);

        var nodeData = Path.Combine(_folder, "node");
        var pair = AgentKeyPair.Generate();
        var clientId = await SeedNodeAsync(nodeData, gateUrl, pair);
        await StartNodeAsync(nodeData, nodeUrl, gateUrl);

        var credentials = SkybridgeAgentCredentials.Parse(pair.CredentialsJson(nodeUrl, clientId, Workflow, "responder", "actions:propose"));
        using var agent = SkybridgeAgent.CreateHttpClient(credentials);

        // The system learns the node's signing keys now, while the node runs (any token of the node makes it fetch them;
        // this one is not for the system and is refused). Otherwise the late calls below would meet a system that could
        // not fetch them while the node was dead, and be refused with 401 instead of run.
        using (var tokens = new SkybridgeTokenClient(credentials))
        using (var http = new HttpClient())
        using (var warm = new HttpRequestMessage(HttpMethod.Get, gate.Target + "/billing/orders/" + OrderId(0)))
        {
            warm.Headers.TryAddWithoutValidation("Authorization", "DPoP " + await tokens.GetAccessTokenAsync(Ct));
            using var refused = await http.SendAsync(warm, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var approvals = new List<(string Id, string Digest)>();
        for (var i = 0; i < Calls; i++)
        {
            using var proposed = await agent.PostAsJsonAsync("/api/cases/case-kill/actions", new
            {
                action = "refund",
                parameters = new JsonObject { ["order_id"] = OrderId(i), ["amount"] = 60 + i, ["currency"] = "EUR" },
                idempotencyKey = "kill-" + i,
            }, Ct);
            var answer = (await proposed.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
            Assert.True(proposed.StatusCode == HttpStatusCode.Accepted, answer.ToJsonString());
            approvals.Add(((string)answer["approvalId"]!, (string)answer["callDigest"]!));
        }

        // The approver approves all twenty at once; each approval is committed, claimed and sent to the gate.
        using var approver = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(nodeUrl) };
        approver.DefaultRequestHeaders.Add("Origin", nodeUrl);
        using (var signIn = await approver.PostAsJsonAsync("/api/auth/sign-in", new { userName = "approver", password = Password }, Ct))
        {
            Assert.True(signIn.IsSuccessStatusCode, await signIn.Content.ReadAsStringAsync(Ct));
        }

        var decisions = approvals.Select(a => DecideAsync(approver, a.Id, a.Digest)).ToList();
        await gate.HeldAtLeastAsync(Calls / 2, Ct);
        _node!.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs, the claims stay.
        await _node.WaitForExitAsync(Ct);
        var held = gate.Held;
        Assert.True(held >= Calls / 2, $"only {held} calls reached the gate before the kill");

        // Only the dead process's calls stay held: the new one's pass straight through. Then half of the held calls reach
        // the system late (refunded, but the node that asked never heard), half never do. Decisions cut off by the kill
        // are retried against the new process: a decision already taken answers 409.
        gate.Open();
        await StartNodeAsync(nodeData, nodeUrl, gateUrl);
        await gate.ReleaseHeldAsync();
        for (var i = 0; i < decisions.Count; i++)
        {
            if (!await decisions[i])
            {
                Assert.True(await DecideAsync(approver, approvals[i].Id, approvals[i].Digest), $"approval {i} was not taken after the restart");
            }
        }

        // The restarted node's outbox finishes what the dead one left (claim timeout 2 s in this test).
        await using var store = SkybridgeStores.OpenSqlite(nodeData);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while ((await store.ListActionsByStatusAsync(ActionStatuses.Executed, 1_000, Ct)).Count < Calls && DateTime.UtcNow < until)
        {
            await Task.Delay(250, Ct);
        }

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = deskDb, Mode = SqliteOpenMode.ReadOnly }.ToString());
        var refunds = (await connection.QueryAsync<(string OrderId, long Count)>("SELECT order_id, COUNT(*) FROM refunds GROUP BY order_id")).ToDictionary(r => r.OrderId, r => r.Count);
        var perOrder = Enumerable.Range(0, Calls).Select(i => refunds.GetValueOrDefault(OrderId(i))).ToList();
        Assert.True(perOrder.All(c => c == 1), "refunds per order: " + string.Join(",", perOrder));
        var notExecuted = new List<string>();
        foreach (var status in new[] { ActionStatuses.Failed, ActionStatuses.Approved, ActionStatuses.Executing, ActionStatuses.PendingApproval })
        {
            notExecuted.AddRange((await store.ListActionsByStatusAsync(status, 1_000, Ct)).Select(a => $"{a.Id} {a.Status} {a.Detail}"));
        }

        Assert.True(notExecuted.Count == 0, string.Join("\n", notExecuted));
        Assert.Equal(Calls, (await store.ListActionsByStatusAsync(ActionStatuses.Executed, 1_000, Ct)).Count);
        var executed = (await store.ReadLedgerCaseAsync("case-kill", Ct)).Where(e => e.Type == "action.executed")
            .Select(e => JsonNode.Parse(e.Body)!["resource"]!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(Calls, executed.Count);
        Assert.Equal(Calls, executed.Distinct().Count());
        Assert.True(gate.Forwarded > 0 && gate.Dropped > 0, $"forwarded {gate.Forwarded}, dropped {gate.Dropped}");
    }

    /// <summary>Approves; true when taken (now or before: 409), false when the node was gone.</summary>
    private static async Task<bool> DecideAsync(HttpClient approver, string approvalId, string digest)
    {
        try
        {
            using var response = await approver.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest }, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync(Ct));
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task StartNodeAsync(string data, string url, string gateUrl)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "skybridge.dll"), "serve", "--data", data, "--urls", url, "--node-id", "kill-test",
            "--resource", gateUrl + "/helpdesk", "--resource", gateUrl + "/billing", "--action-claim-timeout", "2", "--sign-in-rate-limit", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        _node?.Dispose();
        _node = Process.Start(start)!;
        _node.BeginOutputReadLine();
        _node.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(30); ;)
        {
            try
            {
                if ((await http.GetAsync(url + "/health", Ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until && !_node.HasExited)
            {
                await Task.Delay(100, Ct);
            }
        }
    }

    /// <summary>The sample at L2 (refunds above 50 EUR wait for the approver; its budget large enough), the approver, the agent, its case.</summary>
    private static async Task<string> SeedNodeAsync(string data, string gateUrl, AgentKeyPair pair)
    {
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(Ct);
        await using var ledger = new LedgerWriter(store, TimeProvider.System, "seed");
        await store.RecordAutonomyGrantAsync(new AutonomyGrant { WorkflowId = Workflow, Level = "L2-approve-consequential", GrantedBy = "seed", GrantedAt = DateTimeOffset.UtcNow, Evidence = "test" }, Ct);
        var yaml = (await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "samples", "support-desk", "manifest.yaml"), Ct))
            .Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal)
            .Replace("sum: amount, max: 500,", "sum: amount, max: 100000,", StringComparison.Ordinal)
            .Replace("http://127.0.0.1:5081", gateUrl, StringComparison.Ordinal);
        var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var accounts = new AccountService(store, TimeProvider.System, ledger);
        await accounts.CreateUserAsync("seed", "approver", "Approver", Password, Ct);
        await accounts.GrantRoleAsync("seed", "approver", Workflow, WorkflowRole.Approver, Ct);
        // The sample's refund authority is group:support-leads.
        await new GroupService(store, ledger, TimeProvider.System).AddAsync("seed", "support-leads", "approver", Ct);
        var agent = await new AgentService(store, store, TimeProvider.System, ledger).RegisterAsync("seed", Workflow, "kill-agent", "responder", pair.PublicJwk, Ct);
        Assert.Equal(AgentOutcome.Done, agent.Outcome);
        await store.SaveCaseAsync(new StoredCase("case-kill", Workflow, "seed", "Refunds", "{}", false, DateTimeOffset.UtcNow), Ct);
        return agent.Agent!.ClientId;
    }

    private static async Task AddOrdersAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, DefaultTimeout = 30 }.ToString());
        for (var i = 0; i < Calls; i++)
        {
            await connection.ExecuteAsync("INSERT INTO orders (id, customer, items, total_cents, currency, placed_at) VALUES (@id, 'Test Customer', 'Item', 100000, 'EUR', @at)",
                new { id = OrderId(i), at = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is { HasExited: false })
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync();
        }

        _node?.Dispose();
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>
    /// A pass-through in front of the system of record that holds refunds until <see cref="Open"/>; <see cref="ReleaseHeldAsync"/>
    /// then forwards every other held call (it runs, though its caller is gone) and drops the rest (they never arrived).
    /// Everything else, and every refund after opening, passes straight through.
    /// </summary>
    private sealed class Gate
    {
        private readonly List<(HttpRequestMessage Request, TaskCompletionSource Done)> _held = [];
        private readonly HttpClient _forward = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _released;

        public string Target { get; set; } = "";
        public int Forwarded { get; private set; }
        public int Dropped { get; private set; }

        public int Held
        {
            get
            {
                lock (_held)
                {
                    return _held.Count;
                }
            }
        }

        public async Task<WebApplication> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(HandleAsync);
            await app.StartAsync();
            return app;
        }

        public async Task HeldAtLeastAsync(int count, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (Held < count)
            {
                Task changed;
                lock (_held)
                {
                    changed = _changed.Task;
                }

                await changed.WaitAsync(timeout.Token);
            }
        }

        /// <summary>From now on every call passes through; the ones held so far stay held.</summary>
        public void Open()
        {
            lock (_held)
            {
                _released = true;
            }
        }

        /// <summary>Forwards every other held call to the system and drops the rest.</summary>
        public async Task ReleaseHeldAsync()
        {
            List<(HttpRequestMessage Request, TaskCompletionSource Done)> held;
            lock (_held)
            {
                held = [.. _held];
            }

            for (var i = 0; i < held.Count; i++)
            {
                if (i % 2 == 0)
                {
                    using var response = await _forward.SendAsync(held[i].Request);
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                    Forwarded++;
                }
                else
                {
                    Dropped++;
                }

                held[i].Done.TrySetResult();
            }
        }

        private async Task HandleAsync(HttpContext context)
        {
            var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), Target + context.Request.Path + context.Request.QueryString);
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            request.Content = new ByteArrayContent(body.ToArray());
            foreach (var (name, values) in context.Request.Headers)
            {
                if (name is "Authorization" or "DPoP" or "Idempotency-Key")
                {
                    request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
                }
                else if (name == "Content-Type")
                {
                    request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
                }
            }

            TaskCompletionSource? done = null;
            lock (_held)
            {
                if (!_released && context.Request.Path == "/billing/refund")
                {
                    done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _held.Add((request, done));
                    _changed.TrySetResult();
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            if (done is not null)
            {
                // Its caller dies meanwhile: nothing is answered to anyone.
                await done.Task;
                context.Abort();
                return;
            }

            using var answer = await _forward.SendAsync(request);
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
            await context.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
            request.Dispose();
        }
    }
}
