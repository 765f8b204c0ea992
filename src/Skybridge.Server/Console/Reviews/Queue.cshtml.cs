using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Reviews;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Reviews;

/// <summary>
/// A workflow's review queue (open, overdue or done; oldest due first, as the API lists it) beside the summary: the
/// production metrics from reviews with their intervals, reviewer agreement (Cohen's kappa) and the overdue count.
/// </summary>
public sealed class QueueModel : PageModel
{
    /// <summary>Cases one page lists; the next page is a link that keeps the filter.</summary>
    public const int Limit = ReviewQueuePaging.DefaultLimit;

    /// <summary>The filters by their query value, in the order the page offers them.</summary>
    public static readonly IReadOnlyList<(string Value, ReviewStatus Status, string Label)> Filters =
    [
        ("open", ReviewStatus.Open, "Open"),
        ("overdue", ReviewStatus.Overdue, "Overdue"),
        ("done", ReviewStatus.Done, "Done"),
    ];

    private readonly AccessService _access;
    private readonly ReviewService _reviews;
    private readonly TimeProvider _time;

    public QueueModel(AccessService access, ReviewService reviews, TimeProvider time)
    {
        _access = access;
        _reviews = reviews;
        _time = time;
    }

    public string WorkflowId { get; private set; } = "";

    public string Status { get; private set; } = "open";

    public IReadOnlyList<StoredReviewItem> Items { get; private set; } = [];

    public ReviewSummary? Summary { get; private set; }

    /// <summary>The cursor of the next page, or null on the last one.</summary>
    public string? Next { get; private set; }

    /// <summary>True when this page continues an earlier one.</summary>
    public bool Continued { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, [FromQuery] string? status, [FromQuery] string? after, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadReviews, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        var filter = Filters.FirstOrDefault(f => f.Value == (status ?? "open"));
        ReviewQueueKey? from = null;
        if (filter.Label is null || (after is not null && !ReviewQueuePaging.TryParse(after, out from)))
        {
            return BadRequest();
        }

        WorkflowId = id;
        Status = filter.Value;
        Now = _time.GetUtcNow();
        var page = await _reviews.ListPageAsync(id, filter.Status, from, Limit, cancellationToken).ConfigureAwait(false);
        Items = page.Items;
        Next = page.Next;
        Continued = from is not null;
        Summary = await _reviews.SummaryAsync(id, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    /// <summary>Whether <paramref name="item"/> is open past its due time.</summary>
    public bool IsOverdue(StoredReviewItem item) => item.Reviews < item.RequiredReviews && item.DueAt < Now;
}
