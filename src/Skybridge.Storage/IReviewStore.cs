namespace Skybridge.Storage;

/// <summary>
/// Live review: the queue of sampled cases (each case at most once) and the reviews people give them. Queue entries and
/// reviews are written with their ledger events (<see cref="ReviewEnqueuedRow"/>, <see cref="ReviewRecordedRow"/>).
/// </summary>
public interface IReviewStore
{
    /// <summary>
    /// The workflow's sampling salt: the stored one, or <paramref name="candidate"/> when there is none yet (the first
    /// writer wins, so every node draws with the same salt).
    /// </summary>
    Task<byte[]> GetOrCreateReviewSaltAsync(string workflowId, byte[] candidate, CancellationToken cancellationToken = default);

    /// <summary>One queued case, or null when the case was never sampled.</summary>
    Task<StoredReviewItem?> GetReviewItemAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>A workflow's queued cases in <paramref name="status"/> at <paramref name="now"/>, oldest due first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredReviewItem>> ListReviewItemsAsync(string workflowId, ReviewStatus status, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of the same list: the items after <paramref name="after"/> (null: from the start) in the list's order (due
    /// time, then case id), at most <paramref name="limit"/>. Keyset paging: an item keeps its place whatever is queued
    /// meanwhile, so walking the pages returns each item once.
    /// </summary>
    Task<IReadOnlyList<StoredReviewItem>> ListReviewItemsPageAsync(string workflowId, ReviewStatus status, DateTimeOffset now, ReviewQueueKey? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>How many of a workflow's queued cases are overdue at <paramref name="now"/>.</summary>
    Task<int> CountOverdueReviewsAsync(string workflowId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>A case's reviews, first reviewer first.</summary>
    Task<IReadOnlyList<StoredReview>> ListCaseReviewsAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>Every review of a workflow's cases, by case then slot.</summary>
    Task<IReadOnlyList<StoredReview>> ListWorkflowReviewsAsync(string workflowId, CancellationToken cancellationToken = default);

    /// <summary>Overdue cases at <paramref name="now"/> whose authority was not yet told (any workflow), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredReviewItem>> ListUnflaggedOverdueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Which queued cases a list shows.</summary>
public enum ReviewStatus
{
    /// <summary>Not yet reviewed by as many people as it needs (overdue ones included).</summary>
    Open,

    /// <summary>Reviewed by as many people as it needs.</summary>
    Done,

    /// <summary>Open past its due time.</summary>
    Overdue,
}

/// <summary>Where an item sits in the queue's order: its due time, then its case id.</summary>
/// <param name="DueAt">The item's due time.</param>
/// <param name="CaseId">The item's case.</param>
public sealed record ReviewQueueKey(DateTimeOffset DueAt, string CaseId);

/// <summary>A sampled case in the review queue.</summary>
/// <param name="CaseId">The case (unique: a case is queued once).</param>
/// <param name="WorkflowId">Its workflow.</param>
/// <param name="SampledAt">When it was queued.</param>
/// <param name="DueAt">When its reviews are due.</param>
/// <param name="Rate">The chance it had of being sampled (1 at L0 and L1).</param>
/// <param name="Weight">The product of the risk weights that applied.</param>
/// <param name="Reasons">Why, comma-separated (<c>autonomy_level</c>, <c>consequential_action</c>...).</param>
/// <param name="RequiredReviews">1, or 2 when a second person must review it.</param>
/// <param name="Reviews">How many reviews it has.</param>
/// <param name="OverdueFlaggedAt">When <c>review.overdue</c> was recorded for it, or null.</param>
public sealed record StoredReviewItem(
    string CaseId, string WorkflowId, DateTimeOffset SampledAt, DateTimeOffset DueAt, double Rate, double Weight, string Reasons,
    int RequiredReviews, int Reviews = 0, DateTimeOffset? OverdueFlaggedAt = null);

/// <summary>One person's review of a queued case.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reviewer">The reviewer's user name (one review per reviewer per case).</param>
/// <param name="Slot">1 for the first review, 2 for the second (one review per slot).</param>
/// <param name="Correctness"><c>correct</c>, <c>partly</c> or <c>wrong</c>.</param>
/// <param name="Citations"><c>ok</c>, <c>wrong</c> or <c>missing</c>.</param>
/// <param name="Action"><c>right</c>, <c>wrong</c> or <c>none_needed</c>.</param>
/// <param name="Comment">The reviewer's comment, or null.</param>
/// <param name="At">When it was given.</param>
public sealed record StoredReview(string CaseId, string Reviewer, int Slot, string Correctness, string Citations, string Action, string? Comment, DateTimeOffset At);

/// <summary>A case entering the review queue, with its <c>case.sampled</c> event. A case already queued is a conflict.</summary>
public sealed record ReviewEnqueuedRow(StoredReviewItem Item) : RecordedRow;

/// <summary>
/// A review, with its <c>review.submitted</c> event: written only when the case has exactly <c>Slot - 1</c> reviews and
/// this reviewer has none on it yet; otherwise a conflict.
/// </summary>
public sealed record ReviewRecordedRow(StoredReview Review) : RecordedRow;

/// <summary>The review authority was told a case is overdue (<c>review.overdue</c>): written once per case, else a conflict.</summary>
public sealed record ReviewOverdueFlaggedRow(string CaseId, DateTimeOffset At) : RecordedRow;
