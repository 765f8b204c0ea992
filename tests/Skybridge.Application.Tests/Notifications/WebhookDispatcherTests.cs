using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skybridge.Application.Hosting;
using Skybridge.Application.Manifests;
using Skybridge.Application.Notifications;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Notifications;

/// <summary>
/// The dispatcher over a real store and ledger, with a receiver that answers as told and a fake clock: what is sent,
/// in which order, when a failed delivery is tried again, and when it is given up (and said so in the ledger).
/// </summary>
public sealed class WebhookDispatcherTests : IAsyncDisposable
{
    private const string Workflow = "support-desk";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero));
    private readonly Receiver _receiver = new();
    private TestStore _test = null!;
    private WebhookDispatcher _dispatcher = null!;
    private WebhookSecrets _secrets = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task StartAsync(string events = "[approval.requested, approval.decided]")
    {
        _test = await TestStore.OpenAsync();
        var yaml = await File.ReadAllTextAsync(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "manifest.yaml"), Ct)
            + $"\nwebhooks:\n  - name: leads-chat\n    url: https://chat.example.com/hooks/skybridge\n    events: {events}\n";
        var published = await new ManifestService(_test.Store, _time, _test.Ledger).PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var key = SecretsKey.Ephemeral();
        _secrets = new WebhookSecrets(_test.Store, () => key, _test.Ledger);
        _dispatcher = new WebhookDispatcher(_test.Store, _test.Store, _test.Store, new StoredActiveManifests(_test.Store), _secrets, _receiver,
            _test.Ledger, _time, new SkybridgeNodeOptions { NodeId = "node-a" }, NullLogger<WebhookDispatcher>.Instance);
    }

    private Task AppendAsync(string type, string id, string workflow = Workflow) => _test.Ledger.AppendAsync(new LedgerEntry
    {
        Type = type,
        Actors = [LedgerActor.Agent("support-desk/responder")],
        WorkflowId = workflow,
        CaseId = "case-1",
        Resource = new LedgerResource("approval", id),
        Outcome = "pending",
    }, Ct);

    [Fact]
    public async Task Drain_SendsTheSubscribedEventsOfTheWorkflow_InLedgerOrder_SignedWithItsSecret()
    {
        await StartAsync();
        var secret = WebhookSecrets.Generate();
        await _secrets.SetAsync(Workflow, "leads-chat", secret, "maria", _time.GetUtcNow(), Ct);
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-1");
        await AppendAsync(LedgerEventTypes.ActionExecuted, "act-1");              // not subscribed
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-x", "other-desk"); // another workflow's
        await AppendAsync(LedgerEventTypes.ApprovalDecided, "apr-1");

        Assert.Equal(2, await _dispatcher.DrainAsync(Ct));

        Assert.Equal(["approval.requested apr-1", "approval.decided apr-1"], _receiver.Accepted.Select(m => Describe(m)));
        Assert.All(_receiver.Accepted, m => Assert.Equal(secret, m.Secret));
        Assert.Equal(2, _receiver.Accepted.Select(m => m.Id).Distinct().Count());
        // Nothing new: nothing sent again.
        Assert.Equal(0, await _dispatcher.DrainAsync(Ct));
        Assert.Equal(2, _receiver.Accepted.Count);
    }

    [Fact]
    public async Task Drain_TriesAFailedDeliveryAgain_OnlyAfterItsPause_WithTheSameId_AndKeepsTheOrder()
    {
        await StartAsync();
        await _secrets.SetAsync(Workflow, "leads-chat", WebhookSecrets.Generate(), "maria", _time.GetUtcNow(), Ct);
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-1");
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-2");
        _receiver.Down = true;

        Assert.Equal(0, await _dispatcher.DrainAsync(Ct));
        var firstId = Assert.Single(_receiver.Refused).Id;
        var cursor = Assert.Single(await _test.Store.ListWebhookCursorsAsync(Workflow, Ct));
        Assert.Equal((1, "HTTP 503", _time.GetUtcNow() + WebhookDispatcher.Backoff[0]), (cursor.Attempts, cursor.LastError, cursor.NextAttemptAt));

        _receiver.Down = false;
        _time.Advance(WebhookDispatcher.Backoff[0] - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await _dispatcher.DrainAsync(Ct));           // still pausing
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, await _dispatcher.DrainAsync(Ct));

        Assert.Equal(["approval.requested apr-1", "approval.requested apr-2"], _receiver.Accepted.Select(m => Describe(m)));
        Assert.Equal(firstId, _receiver.Accepted[0].Id);
    }

    [Fact]
    public async Task Drain_GivesUpAfterTheLastPause_SaysSoInTheLedger_AndGoesOnWithTheNext()
    {
        await StartAsync();
        await _secrets.SetAsync(Workflow, "leads-chat", WebhookSecrets.Generate(), "maria", _time.GetUtcNow(), Ct);
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-poison");
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-2");
        _receiver.Refuse = m => m.Body.Contains("apr-poison", StringComparison.Ordinal);

        await _dispatcher.DrainAsync(Ct);
        foreach (var pause in WebhookDispatcher.Backoff)
        {
            _time.Advance(pause);
            await _dispatcher.DrainAsync(Ct);
        }

        Assert.Equal(WebhookDispatcher.Backoff.Count + 1, _receiver.Refused.Count);
        var abandoned = (await _test.Store.ReadLedgerEventsAsync(0, 1000, Ct)).Single(e => e.Type == LedgerEventTypes.WebhookAbandoned);
        var content = JsonNode.Parse(abandoned.Body)!["content"]!;
        Assert.Equal(LedgerEventTypes.ApprovalRequested, content["event_type"]!.GetValue<string>());
        Assert.Equal(WebhookDispatcher.Backoff.Count + 1, content["attempts"]!.GetValue<int>());
        Assert.Equal("HTTP 503", content["error"]!.GetValue<string>());

        Assert.Equal(1, await _dispatcher.DrainAsync(Ct));
        Assert.Equal(["approval.requested apr-2"], _receiver.Accepted.Select(m => Describe(m)));
        var cursor = Assert.Single(await _test.Store.ListWebhookCursorsAsync(Workflow, Ct));
        Assert.Equal((1L, 1L), (cursor.Delivered, cursor.Abandoned));
    }

    [Fact]
    public async Task Drain_WithoutASecret_SendsNothing_AndSaysHowToSetOne()
    {
        await StartAsync();
        await AppendAsync(LedgerEventTypes.ApprovalRequested, "apr-1");

        Assert.Equal(0, await _dispatcher.DrainAsync(Ct));

        Assert.Empty(_receiver.Accepted);
        Assert.Empty(_receiver.Refused);
        Assert.Contains("skybridge webhook secret support-desk leads-chat", Assert.Single(await _test.Store.ListWebhookCursorsAsync(Workflow, Ct)).LastError, StringComparison.Ordinal);
    }

    private static string Describe(WebhookMessage m)
    {
        using var doc = JsonDocument.Parse(m.Body);
        return doc.RootElement.GetProperty("type").GetString() + " " + doc.RootElement.GetProperty("data").GetProperty("event").GetProperty("resource").GetProperty("id").GetString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_test is not null)
        {
            await _test.DisposeAsync();
        }
    }

    private sealed class Receiver : IWebhookSender
    {
        public bool Down { get; set; }

        public Func<WebhookMessage, bool>? Refuse { get; set; }

        public List<WebhookMessage> Accepted { get; } = [];

        public ConcurrentBag<WebhookMessage> Refused { get; } = [];

        public Task<WebhookSendResult> SendAsync(WebhookMessage message, CancellationToken cancellationToken)
        {
            if (Down || Refuse?.Invoke(message) == true)
            {
                Refused.Add(message);
                return Task.FromResult(WebhookSendResult.Failed("HTTP 503"));
            }

            Accepted.Add(message);
            return Task.FromResult(WebhookSendResult.Ok);
        }
    }
}
