using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Reviews;

/// <summary>
/// Tells the review authority about overdue reviews: once a minute, each sampled case past its due time without the
/// reviews it needs gets one <c>review.overdue</c> event naming the authority, which
/// webhooks subscribed to it deliver. The flag is
/// written with the event, so a case is flagged once even with several nodes.
/// </summary>
public sealed class ReviewOverdueFlagger(IReviewStore store, IActiveManifests manifests, ILedger ledger, TimeProvider time) : BackgroundService
{
    /// <summary>How often the pass runs.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>One pass: flags what is overdue now; returns how many cases it flagged.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var flagged = 0;
        foreach (var item in await store.ListUnflaggedOverdueAsync(now, 500, cancellationToken).ConfigureAwait(false))
        {
            var active = await manifests.GetAsync(item.WorkflowId, cancellationToken).ConfigureAwait(false);
            var authority = active?.Manifest.Authorities.Review.Select(p => (JsonNode)p.ToString()) ?? [];
            var entry = new LedgerEntry
            {
                Type = LedgerEventTypes.ReviewOverdue,
                Actors = [LedgerActor.System("review-sampler")],
                WorkflowId = item.WorkflowId,
                WorkflowVersion = active?.Version,
                CaseId = item.CaseId,
                Outcome = "overdue",
                Content = new JsonObject
                {
                    ["due_at"] = item.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["reviews"] = item.Reviews,
                    ["required_reviews"] = item.RequiredReviews,
                    ["notify"] = new JsonArray([.. authority]),
                },
            };
            try
            {
                await ledger.AppendAsync([entry], [new ReviewOverdueFlaggedRow(item.CaseId, now)], cancellationToken).ConfigureAwait(false);
                flagged++;
            }
            catch (StoreConflictException)
            {
                // Another node flagged it first.
            }
        }

        return flagged;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StoreUnavailableException or System.Data.Common.DbException)
                {
                    // The store is away; the next pass tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
