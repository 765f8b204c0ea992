using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Notifications;
using Skybridge.Application.Reviews;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests.Webhooks;

/// <summary>The desk node with a webhook for the review authority: overdue reviews only.</summary>
public sealed class ReviewOverdueWebhookDeskFixture : WebhookDeskFixture
{
    protected override string Events => "[review.overdue]";
}

/// <summary>
/// Overdue reviews reach the review authority where it listens: a sampled case past its due time is flagged once in the
/// ledger, and the flag is delivered to a webhook subscribed to <c>review.overdue</c>, signed (checked by the Standard
/// Webhooks reference library), carrying the ledger event with the authority to notify.
/// </summary>
public sealed class ReviewOverdueWebhookTests(ReviewOverdueWebhookDeskFixture fixture) : WebhookTestBase(fixture), IClassFixture<ReviewOverdueWebhookDeskFixture>
{
    [Fact]
    public async Task OverdueReview_ReachesTheSubscribedReceiver_Signed_NamingTheReviewAuthority()
    {
        var secret = WebhookSecrets.Generate();
        await _fixture.SkybridgeServices.GetRequiredService<WebhookSecrets>().SetAsync(DeskFixture.Workflow, "leads-chat", secret, "test", DateTimeOffset.UtcNow, Ct);
        await StartReceiverAsync(secret, failFirst: 0);

        // A case sampled for review 25 hours ago (due after 24) that nobody reviewed.
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        var sampledAt = DateTimeOffset.UtcNow - TimeSpan.FromHours(25);
        await _fixture.Store.SaveCaseAsync(new StoredCase(caseId, DeskFixture.Workflow, "user:dana", "Where is my order?", "{}", false, sampledAt), Ct);
        var ledger = _fixture.SkybridgeServices.GetRequiredService<ILedger>();
        await ledger.AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.CaseSampled,
            Actors = [LedgerActor.System("review-sampler")],
            WorkflowId = DeskFixture.Workflow,
            CaseId = caseId,
            Outcome = "sampled",
            Content = new JsonObject { ["reasons"] = new JsonArray("low_confidence") },
        }], [new ReviewEnqueuedRow(new StoredReviewItem(caseId, DeskFixture.Workflow, sampledAt, sampledAt + TimeSpan.FromHours(24), 0.4, 2, "low_confidence", 1))], Ct);

        // The node's own pass runs once a minute; this one is the same code, now (whichever runs first flags it, once).
        var flagger = new ReviewOverdueFlagger(_fixture.Store, _fixture.SkybridgeServices.GetRequiredService<IActiveManifests>(), ledger, TimeProvider.System);
        await flagger.RunOnceAsync(Ct);

        var delivered = await NextAcceptedAsync(LedgerEventTypes.ReviewOverdue);
        var data = delivered.GetProperty("payload").GetProperty("data");
        var stored = Assert.Single(await _fixture.Store.ReadLedgerCaseAsync(caseId, Ct), e => e.Type == LedgerEventTypes.ReviewOverdue);
        Assert.Equal("msg_" + stored.EventId, delivered.GetProperty("id").GetString());
        Assert.Equal(stored.Sequence, data.GetProperty("sequence").GetInt64());
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(stored.Body).RootElement, data.GetProperty("event")));
        Assert.Contains("group:support-qa", data.GetProperty("event").GetRawText(), StringComparison.Ordinal);
        Assert.Contains(caseId, data.GetProperty("event").GetRawText(), StringComparison.Ordinal);
    }
}
