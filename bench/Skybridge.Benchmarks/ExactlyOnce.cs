using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Skybridge.Application.Accounts;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Client;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- exactly-once [CALLS] [--kills N] [--seed S]</c>: exactly-once under faults. The sample
/// system of record (samples/helpdesk-billing) and a real node (<c>skybridge serve</c> on SQLite) run as two processes;
/// the support-desk sample runs at L2, so every refund above 50 EUR waits for a person. An agent proposes CALLS refunds
/// (each its own idempotency key and order), the <c>approver</c> approves each, while a killer SIGKILLs the node at random
/// moments (seeded: every 0.5-3 s) and starts it again on the same data folder. Clients retry on connection errors with
/// the same idempotency key and the same decision (409 on a decision: already taken). After the outbox drained, the
/// system of record's own tables say how often each order was refunded: 0 (lost), 1, or more (twice); Skybridge's
/// action statuses and its ledger (<c>action.executed</c> per action) are cross-checked.
/// </summary>
internal static class ExactlyOnce
{
    private const string Workflow = "support-desk";
    private const string Password = "correct horse battery staple";
    private const int FirstOrder = 100_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        var maxKills = Option(args, "--kills") ?? int.MaxValue;
        var seed = Option(args, "--seed") ?? 1;
        var concurrency = Option(args, "--concurrency") ?? 8;
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-bench-exactly-once-" + Guid.NewGuid().ToString("N"));
        var nodeData = Path.Combine(folder, "node");
        var deskData = Path.Combine(folder, "desk");
        var nodeUrl = $"http://127.0.0.1:{IssuanceRig.FreePort()}";
        var deskUrl = $"http://127.0.0.1:{IssuanceRig.FreePort()}";
        Console.WriteLine($"data in {folder}; node {nodeUrl}, system of record {deskUrl}; {calls} calls, seed {seed}");

        var pair = AgentKeyPair.Generate();
        var clientId = await SeedNodeAsync(nodeData, deskUrl, pair).ConfigureAwait(false);

        using var desk = new ChildProcess("desk", Path.Combine(folder, "desk.log"), Path.Combine(AppContext.BaseDirectory, "HelpdeskBilling.dll"),
            "--urls", deskUrl, "--data", deskData, "--skybridge", nodeUrl);
        desk.Start();
        await WaitUpAsync(deskUrl + "/billing/orders/SO-000001").ConfigureAwait(false);
        await AddOrdersAsync(Path.Combine(deskData, "helpdesk-billing.db"), calls).ConfigureAwait(false);

        using var node = new ChildProcess("node", Path.Combine(folder, "node.log"), Path.Combine(AppContext.BaseDirectory, "skybridge.dll"),
            "serve", "--data", nodeData, "--urls", nodeUrl, "--node-id", "bench-node", "--resource", deskUrl + "/helpdesk", "--resource", deskUrl + "/billing",
            "--oauth-rate-limit", "0", "--sign-in-rate-limit", "0");
        node.Start();
        await WaitUpAsync(nodeUrl + "/health").ConfigureAwait(false);

        var credentials = SkybridgeAgentCredentials.Parse(pair.CredentialsJson(nodeUrl, clientId, Workflow, "responder", "cases:read cases:write actions:propose"));
        using var agent = SkybridgeAgent.CreateHttpClient(credentials);
        agent.Timeout = TimeSpan.FromSeconds(30);
        using var approver = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(nodeUrl), Timeout = TimeSpan.FromSeconds(30) };
        approver.DefaultRequestHeaders.Add("Origin", nodeUrl);

        var clock = Stopwatch.StartNew();
        var kills = 0;
        using var stopKiller = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            var random = new Random(seed);
            while (kills < maxKills)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500 + random.Next(2_500)), stopKiller.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                node.Kill();
                kills++;
                node.Start();
                await WaitUpAsync(nodeUrl + "/health").ConfigureAwait(false);
            }
        });

        var retries = 0;
        var next = -1;
        var answers = new string[calls];
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < calls; i = Interlocked.Increment(ref next))
            {
                var (approvalId, digest, status) = await ProposeAsync(agent, i, () => Interlocked.Increment(ref retries)).ConfigureAwait(false);
                answers[i] = approvalId is null ? status : await ApproveAsync(approver, approvalId, digest!, () => Interlocked.Increment(ref retries)).ConfigureAwait(false);
            }
        })).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var decided = clock.Elapsed;
        await stopKiller.CancelAsync().ConfigureAwait(false);
        await killer.ConfigureAwait(false);
        Console.WriteLine($"proposed and approved {calls} calls in {decided.TotalSeconds:0} s with {kills} kills and {retries} retried requests; draining the outbox");

        // The outbox runs approved actions left by a killed request after 5 s, and resends claims a dead node left after
        // 2 minutes (ActionOutbox): wait for every action to leave approved and executing.
        await using var store = SkybridgeStores.OpenSqlite(nodeData);
        var drainUntil = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        int open;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            open = 0;
            foreach (var status in new[] { ActionStatuses.PendingApproval, ActionStatuses.Approved, ActionStatuses.Executing })
            {
                open += (await store.ListActionsByStatusAsync(status, int.MaxValue).ConfigureAwait(false)).Count;
            }
        }
        while (open > 0 && DateTime.UtcNow < drainUntil);

        var elapsed = clock.Elapsed;
        node.Kill();
        desk.Kill();

        // The system of record's own tables: refunds per order.
        var refunds = await RefundsAsync(Path.Combine(deskData, "helpdesk-billing.db")).ConfigureAwait(false);
        int once = 0, twice = 0, lost = 0;
        for (var i = 0; i < calls; i++)
        {
            switch (refunds.GetValueOrDefault(OrderId(i)))
            {
                case 0: lost++; break;
                case 1: once++; break;
                default: twice++; break;
            }
        }

        // Skybridge's own view: statuses of the benchmark's actions, and action.executed entries per action.
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        var redelivered = 0;
        foreach (var status in new[] { ActionStatuses.Executed, ActionStatuses.Failed, ActionStatuses.PendingApproval, ActionStatuses.Approved, ActionStatuses.Executing, ActionStatuses.Rejected })
        {
            var actions = await store.ListActionsByStatusAsync(status, int.MaxValue).ConfigureAwait(false);
            statuses[status] = actions.Count;
            redelivered += actions.Count(a => a.Detail?.Contains("\"delivery_attempts\"", StringComparison.Ordinal) == true);
        }

        var executedEvents = new Dictionary<string, int>(StringComparer.Ordinal);
        for (long from = 0; ;)
        {
            var page = await store.ReadLedgerEventsAsync(from, 10_000).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var e in page.Where(e => e.Type == LedgerEventTypes.ActionExecuted))
            {
                var body = JsonNode.Parse(e.Body)!;
                if (body["outcome"]?.GetValue<string>() == "executed")
                {
                    var id = body["resource"]!["id"]!.GetValue<string>();
                    executedEvents[id] = executedEvents.GetValueOrDefault(id) + 1;
                }
            }

            from = page[^1].Sequence + 1;
        }

        var ledgerTwice = executedEvents.Count(p => p.Value > 1);
        Console.WriteLine($"skybridge statuses: {string.Join(", ", statuses.Select(p => $"{p.Key} {p.Value}"))}; " +
            $"action.executed entries: {executedEvents.Values.Sum()} for {executedEvents.Count} actions, {ledgerTwice} actions with more than one; " +
            $"{redelivered} actions sent again after a passing refusal");
        Console.WriteLine($"calls {calls}, kills {kills}, executed once {once}, executed twice {twice}, lost {lost}, elapsed {elapsed.TotalSeconds:0} s " +
            $"(decided in {decided.TotalSeconds:0} s, drained in {(elapsed - decided).TotalSeconds:0} s), seed {seed}");
        var ok = twice == 0 && lost == 0 && ledgerTwice == 0 && statuses[ActionStatuses.Executed] == calls;
        if (ok)
        {
            TryDelete(folder);
        }
        else
        {
            Console.WriteLine($"FAILED: data and logs kept in {folder}");
        }

        return ok ? 0 : 1;
    }

    private static int? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : null;
    }

    private static string OrderId(int i) => "SO-" + (FirstOrder + i).ToString(CultureInfo.InvariantCulture);

    /// <summary>The node's data folder: the sample at L2 (its connectors at this run's system of record, the refund
    /// budget large enough for the run), the approver account, the agent and its case. Returns the agent's client id.</summary>
    private static async Task<string> SeedNodeAsync(string nodeData, string deskUrl, AgentKeyPair pair)
    {
        await using var store = SkybridgeStores.OpenSqlite(nodeData);
        await store.MigrateAsync().ConfigureAwait(false);
        await using var ledger = new LedgerWriter(store, TimeProvider.System, "bench");
        await store.RecordAutonomyGrantAsync(new AutonomyGrant { WorkflowId = Workflow, Level = "L2-approve-consequential", GrantedBy = "bench", GrantedAt = DateTimeOffset.UtcNow, Evidence = "benchmark" }).ConfigureAwait(false);
        var yaml = (await File.ReadAllTextAsync(IssuanceRig.FindSample()).ConfigureAwait(false))
            .Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal)
            .Replace("sum: amount, max: 500,", "sum: amount, max: 100000000,", StringComparison.Ordinal)
            .Replace("http://127.0.0.1:5081", deskUrl, StringComparison.Ordinal);
        var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(yaml, "manifest.yaml", null, "bench", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default).ConfigureAwait(false);
        if (!published.IsValid)
        {
            throw new InvalidOperationException("The benchmark manifest does not validate: " + string.Join("; ", published.Diagnostics));
        }

        var accounts = new AccountService(store, TimeProvider.System, ledger);
        await accounts.CreateUserAsync("bench", "approver", "Approver", Password, default).ConfigureAwait(false);
        await accounts.GrantRoleAsync("bench", "approver", Workflow, WorkflowRole.Approver, default).ConfigureAwait(false);
        // The sample's refund authority is group:support-leads.
        await new GroupService(store, ledger, TimeProvider.System).AddAsync("bench", "support-leads", "approver", default).ConfigureAwait(false);
        var agent = await new AgentService(store, store, TimeProvider.System, ledger).RegisterAsync("bench", Workflow, "bench-agent", "responder", pair.PublicJwk, default).ConfigureAwait(false);
        if (agent.Outcome != AgentOutcome.Done)
        {
            throw new InvalidOperationException("The agent was not registered: " + agent.Problem);
        }

        await store.SaveCaseAsync(new StoredCase("case-bench", Workflow, "bench", "Refunds", "{}", false, DateTimeOffset.UtcNow)).ConfigureAwait(false);
        return agent.Agent!.ClientId;
    }

    /// <summary>One order per call in the system of record, each large enough for its refund.</summary>
    private static async Task AddOrdersAsync(string database, int calls)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync().ConfigureAwait(false);
        for (var i = 0; i < calls; i++)
        {
            await connection.ExecuteAsync("INSERT INTO orders (id, customer, items, total_cents, currency, placed_at) VALUES (@id, 'Bench Customer', 'Benchmark item', 100000, 'EUR', @placed)",
                new { id = OrderId(i), placed = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) }, tx).ConfigureAwait(false);
        }

        await tx.CommitAsync().ConfigureAwait(false);
    }

    private static async Task<Dictionary<string, int>> RefundsAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync().ConfigureAwait(false);
        return (await connection.QueryAsync<(string OrderId, long Count)>("SELECT order_id, COUNT(*) FROM refunds GROUP BY order_id").ConfigureAwait(false))
            .ToDictionary(r => r.OrderId, r => (int)r.Count, StringComparer.Ordinal);
    }

    /// <summary>Proposes call <paramref name="i"/> until the node answers: its approval and digest, or its final status.</summary>
    private static async Task<(string? ApprovalId, string? Digest, string Status)> ProposeAsync(HttpClient agent, int i, Action retried)
    {
        var body = new
        {
            action = "refund",
            parameters = new JsonObject { ["order_id"] = OrderId(i), ["amount"] = 51 + (i % 40), ["currency"] = "EUR" },
            idempotencyKey = "bench-refund-" + i.ToString(CultureInfo.InvariantCulture),
        };
        return await RetryAsync(async () =>
        {
            using var response = await agent.PostAsJsonAsync(new Uri("/api/cases/case-bench/actions", UriKind.Relative), body).ConfigureAwait(false);
            var answer = await response.Content.ReadFromJsonAsync<JsonObject>().ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted && answer?["status"]?.GetValue<string>() is { } status)
            {
                var approvalId = status == ActionStatuses.PendingApproval ? (string?)answer["approvalId"] : null;
                return (approvalId, (string?)answer["callDigest"], status);
            }

            return response.StatusCode >= HttpStatusCode.InternalServerError || response.StatusCode == HttpStatusCode.Unauthorized
                ? throw new HttpRequestException($"{(int)response.StatusCode}")
                : throw new InvalidOperationException($"Call {i} refused: {(int)response.StatusCode} {answer?.ToJsonString()}");
        }, retried).ConfigureAwait(false);
    }

    /// <summary>Approves until the node answers; a decision already taken (409) is done. Signs in again after a refusal.</summary>
    private static Task<string> ApproveAsync(HttpClient approver, string approvalId, string digest, Action retried) => RetryAsync(async () =>
    {
        using var response = await approver.PostAsJsonAsync(new Uri($"/api/approvals/{approvalId}/decision", UriKind.Relative), new { decision = "approve", callDigest = digest, comment = "benchmark" }).ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                return (await response.Content.ReadFromJsonAsync<JsonObject>().ConfigureAwait(false))!["action"]!["status"]!.GetValue<string>();
            case HttpStatusCode.Conflict:
                return "already_decided";
            case HttpStatusCode.Unauthorized:
                using (var signIn = await approver.PostAsJsonAsync(new Uri("/api/auth/sign-in", UriKind.Relative), new { userName = "approver", password = Password }).ConfigureAwait(false))
                {
                    throw new HttpRequestException("signed in again: " + (int)signIn.StatusCode);
                }

            default:
                return response.StatusCode >= HttpStatusCode.InternalServerError
                    ? throw new HttpRequestException($"{(int)response.StatusCode}")
                    : throw new InvalidOperationException($"Approval {approvalId} refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }, retried);

    /// <summary>Retries on what a killed node looks like from outside: refused or reset connections, timeouts, 5xx.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, Action retried)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException && attempt < 600)
            {
                retried();
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
    }

    private static async Task WaitUpAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var until = DateTime.UtcNow + TimeSpan.FromMinutes(2); ;)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(url)).ConfigureAwait(false);
                return; // Any answer: it listens.
            }
            catch (Exception ex) when ((ex is HttpRequestException or TaskCanceledException) && DateTime.UtcNow < until)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    /// <summary>A <c>dotnet X.dll</c> child whose output is appended to a log file; killed with SIGKILL, started again at will.</summary>
    private sealed class ChildProcess(string name, string log, string dll, params string[] arguments) : IDisposable
    {
        private readonly StreamWriter _log = new(log, append: true) { AutoFlush = true };
        private Process? _process;

        public void Start()
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(dll);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            _process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {name}");
            _process.OutputDataReceived += (_, e) => Write(e.Data);
            _process.ErrorDataReceived += (_, e) => Write(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            Write($"--- {name} started, pid {_process.Id}");
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Write($"--- {name} killed");
            }
        }

        private void Write(string? line)
        {
            if (line is not null)
            {
                lock (_log)
                {
                    _log.WriteLine(line);
                }
            }
        }

        public void Dispose()
        {
            Kill();
            _process?.Dispose();
            _log.Dispose();
        }
    }
}
