using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Application.Notifications;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests.Webhooks;

/// <summary>The desk node with a webhook for approvals and results, pointing at a receiver port chosen up front.</summary>
public class WebhookDeskFixture : DeskFixture
{
    public int ReceiverPort { get; } = FreePort();

    /// <summary>The events the webhook subscribes to, as the manifest lists them.</summary>
    protected virtual string Events => "[approval.requested, approval.decided, action.executed]";

    protected override string EditManifest(string yaml) => yaml + $$"""

        webhooks:
          - name: leads-chat
            url: http://127.0.0.1:{{ReceiverPort}}/skybridge
            events: {{Events}}
        """;
}

/// <summary>
/// Webhooks judged by a receiver no one here wrote: the Standard Webhooks reference library (npm) checks every delivery's
/// signature. A pending approval reaches the receiver once it is recorded, and so do its decision and the result, in
/// ledger order, each carrying the ledger event exactly as recorded; a receiver that is down gets them later, with the
/// same ids.
/// </summary>
public sealed class WebhookDeliveryTests(WebhookDeskFixture fixture) : WebhookTestBase(fixture), IClassFixture<WebhookDeskFixture>
{

    [Fact]
    public async Task PendingApproval_DecisionAndResult_ReachTheReceiver_Signed_InLedgerOrder()
    {
        var secret = WebhookSecrets.Generate();
        await _fixture.SkybridgeServices.GetRequiredService<WebhookSecrets>().SetAsync(DeskFixture.Workflow, "leads-chat", secret, "test", DateTimeOffset.UtcNow, Ct);
        // Down for the first delivery: it comes again, with the same id, after the pause.
        await StartReceiverAsync(secret, failFirst: 1);

        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        await _fixture.Store.SaveCaseAsync(new StoredCase(caseId, DeskFixture.Workflow, "seed", "Refund SO-000005", "{}", false, DateTimeOffset.UtcNow), Ct);
        var (status, pending) = await agent.ProposeAsync(token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000005", amount = 90, currency = "EUR" }, idempotencyKey = "hook-1",
        });
        Assert.True(status == HttpStatusCode.Accepted, pending.ToString());
        var approvalId = pending.GetProperty("approvalId").GetString()!;
        var actionId = pending.GetProperty("actionId").GetString()!;

        var requested = await NextAcceptedAsync("approval.requested");
        Assert.Equal(approvalId, requested.GetProperty("payload").GetProperty("data").GetProperty("event").GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal(actionId, requested.GetProperty("payload").GetProperty("data").GetProperty("event").GetProperty("content").GetProperty("action_id").GetString());

        using var approver = await _fixture.SignedInAsync("approver", WorkflowRole.Approver);
        using var decided = await approver.PostAsJsonAsync($"/api/approvals/{approvalId}/decision",
            new { decision = "approve", callDigest = pending.GetProperty("callDigest").GetString(), comment = "checked" }, Ct);
        Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync(Ct));

        var decision = await NextAcceptedAsync("approval.decided");
        var executed = await NextAcceptedAsync("action.executed");
        Assert.Equal(actionId, executed.GetProperty("payload").GetProperty("data").GetProperty("event").GetProperty("resource").GetProperty("id").GetString());

        // Each delivery is the ledger's event, byte for byte the body the ledger hashed, under the event's own id.
        var delivered = new[] { requested, decision, executed };
        var sequences = delivered.Select(d => d.GetProperty("payload").GetProperty("data").GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        foreach (var d in delivered)
        {
            var sequence = d.GetProperty("payload").GetProperty("data").GetProperty("sequence").GetInt64();
            var stored = Assert.Single(await _fixture.Store.ReadLedgerEventsAsync(sequence, 1, Ct));
            Assert.Equal("msg_" + stored.EventId, d.GetProperty("id").GetString());
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(stored.Body).RootElement, d.GetProperty("payload").GetProperty("data").GetProperty("event")));
        }

        // The cursor moves once the pass's deliveries are done, a moment after the receiver printed the last one.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        WebhookCursor cursor;
        while ((cursor = Assert.Single(await _fixture.Store.ListWebhookCursorsAsync(DeskFixture.Workflow, Ct))).Delivered < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(3, cursor.Delivered);
        Assert.Equal(0, cursor.Abandoned);
    }

}

/// <summary>The same receiver with another secret: the library refuses the delivery, and Skybridge keeps the event to try again.</summary>
public sealed class WebhookSignatureTests(WebhookDeskFixture fixture) : WebhookTestBase(fixture), IClassFixture<WebhookDeskFixture>
{
    [Fact]
    public async Task Delivery_WithAnotherSecret_IsRejectedByTheReceiver_AndTriedAgain()
    {
        await _fixture.SkybridgeServices.GetRequiredService<WebhookSecrets>().SetAsync(DeskFixture.Workflow, "leads-chat", WebhookSecrets.Generate(), "test", DateTimeOffset.UtcNow, Ct);
        // The receiver was given another secret: the library refuses every delivery, and Skybridge keeps the event.
        await StartReceiverAsync(WebhookSecrets.Generate(), failFirst: 0);

        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        await _fixture.Store.SaveCaseAsync(new StoredCase(caseId, DeskFixture.Workflow, "seed", "Refund SO-000006", "{}", false, DateTimeOffset.UtcNow), Ct);
        var (status, _) = await agent.ProposeAsync(token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000006", amount = 95, currency = "EUR" }, idempotencyKey = "hook-bad-secret",
        });
        Assert.Equal(HttpStatusCode.Accepted, status);

        var line = await NextLineAsync(l => l.TryGetProperty("rejected", out _));
        Assert.Contains("signature", line.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        WebhookCursor cursor;
        do
        {
            cursor = Assert.Single(await _fixture.Store.ListWebhookCursorsAsync(DeskFixture.Workflow, Ct));
            await Task.Delay(100, Ct);
        }
        while (cursor.Attempts == 0 && DateTime.UtcNow < deadline);

        Assert.Equal("HTTP 401", cursor.LastError);
        Assert.True(cursor.NextAttemptAt > DateTimeOffset.UtcNow, "the failed delivery waits for its next attempt");
        Assert.DoesNotContain(Printed, l => l.TryGetProperty("payload", out _));
    }

}

/// <summary>Starts the npm receiver and reads what it printed.</summary>
public abstract class WebhookTestBase : IAsyncDisposable
{
    private protected readonly WebhookDeskFixture _fixture;
    private Process? _receiver;
    private readonly BlockingCollection<JsonElement> _lines = [];
    private readonly ConcurrentQueue<string> _errors = new();

    private protected WebhookTestBase(WebhookDeskFixture fixture) => _fixture = fixture;

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected IReadOnlyList<JsonElement> Printed => _lines.ToArray();

    private static string Folder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
                {
                    return Path.Combine(dir.FullName, "tests", "HelpdeskBilling.Tests", "Webhooks");
                }
            }

            throw new InvalidOperationException("Cannot find the repository root.");
        }
    }


    private protected async Task StartReceiverAsync(string secret, int failFirst)
    {
        var node = Which("node") ?? throw new InvalidOperationException("node is not installed: scripts/test.sh installs it (apt-get install nodejs npm).");
        await NpmCiAsync();
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("receiver.mjs");
        start.ArgumentList.Add(_fixture.ReceiverPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(failFirst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The secret goes in through the environment, never on a command line others can read.
        start.Environment["WEBHOOK_SECRET"] = secret;
        _receiver = Process.Start(start)!;
        _receiver.OutputDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                _lines.Add(JsonDocument.Parse(e.Data).RootElement.Clone());
            }
        };
        _receiver.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                _errors.Enqueue(e.Data);
            }
        };
        _receiver.BeginOutputReadLine();
        _receiver.BeginErrorReadLine();
        await NextLineAsync(l => l.TryGetProperty("listening", out _));
    }

    // Test classes run in parallel: one `npm ci` at a time, or one would delete the modules under the other's receiver.
    private static readonly SemaphoreSlim Installing = new(1, 1);

    private static async Task NpmCiAsync()
    {
        await Installing.WaitAsync(Ct);
        try
        {
            await NpmCiOnceAsync();
        }
        finally
        {
            Installing.Release();
        }
    }

    private static async Task NpmCiOnceAsync()
    {
        // node_modules stays (git-ignored) as a cache, stamped with the hash of the lock file it was installed from.
        var stamp = Path.Combine(Folder, "node_modules", ".skybridge-lock.sha256");
        var lockHash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(Folder, "package-lock.json"), Ct)));
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp, Ct) == lockHash)
        {
            return;
        }

        var npm = Which("npm") ?? throw new InvalidOperationException("npm is not installed: scripts/test.sh installs it (apt-get install npm).");
        var start = new ProcessStartInfo(npm) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            start.ArgumentList.Add(a);
        }

        using var install = Process.Start(start)!;
        var error = await install.StandardError.ReadToEndAsync(Ct);
        await install.WaitForExitAsync(Ct);
        Assert.True(install.ExitCode == 0, "npm ci failed: " + error);
        await File.WriteAllTextAsync(stamp, lockHash, Ct);
    }

    private protected Task<JsonElement> NextAcceptedAsync(string type) =>
        NextLineAsync(l => l.TryGetProperty("type", out var t) && t.GetString() == type);

    /// <summary>The next receiver line matching <paramref name="match"/> (others are kept for later checks).</summary>
    private protected async Task<JsonElement> NextLineAsync(Func<JsonElement, bool> match)
    {
        // Generous: the first retry after a 503 comes 5 s later, the second 30 s after that.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var seen = new List<JsonElement>();
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (_lines.TryTake(out var line, TimeSpan.FromMilliseconds(200)))
                {
                    if (match(line))
                    {
                        return line;
                    }

                    seen.Add(line);
                }

                await Task.Yield();
            }
        }
        finally
        {
            foreach (var line in seen)
            {
                _lines.Add(line);
            }
        }

        throw new TimeoutException("The receiver printed nothing matching within 60 s; it printed: " + string.Join("\n", seen) + "\nand on standard error: " + string.Join("\n", _errors));
    }



    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_receiver is { HasExited: false })
        {
            _receiver.Kill(entireProcessTree: true);
        }

        _receiver?.Dispose();
        _lines.Dispose();
        return ValueTask.CompletedTask;
    }
}
