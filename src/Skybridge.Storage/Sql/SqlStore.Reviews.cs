using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: the live review queue and its reviews.</summary>
internal abstract partial class SqlStore
{
    private const string ReviewItemColumns =
        "SELECT case_id AS CaseId, workflow_id AS WorkflowId, sampled_at_us AS SampledAtUs, due_at_us AS DueAtUs, rate AS Rate, weight AS Weight, " +
        "reasons AS Reasons, required_reviews AS RequiredReviews, reviews AS Reviews, overdue_flagged_us AS OverdueFlaggedUs FROM review_queue";

    private const string ReviewColumns =
        "SELECT r.case_id AS CaseId, r.reviewer AS Reviewer, r.slot AS Slot, r.correctness AS Correctness, r.citations AS Citations, r.action AS Action, " +
        "r.comment AS Comment, r.at_us AS AtUs FROM reviews r";

    public async Task<byte[]> GetOrCreateReviewSaltAsync(string workflowId, byte[] candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // Both databases read "ON CONFLICT DO NOTHING": two nodes offering at once, the first stored wins and both read it.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO review_salts (workflow_id, salt) VALUES (@workflowId, @candidate) ON CONFLICT (workflow_id) DO NOTHING",
            new { workflowId, candidate }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(
            "SELECT salt FROM review_salts WHERE workflow_id = @workflowId", new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The review salt was not stored.");
    }

    public async Task<StoredReviewItem?> GetReviewItemAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<ReviewItemRow>(new CommandDefinition(
            ReviewItemColumns + " WHERE case_id = @caseId", new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public Task<IReadOnlyList<StoredReviewItem>> ListReviewItemsAsync(string workflowId, ReviewStatus status, DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        ListReviewItemsPageAsync(workflowId, status, now, null, limit, cancellationToken);

    public async Task<IReadOnlyList<StoredReviewItem>> ListReviewItemsPageAsync(string workflowId, ReviewStatus status, DateTimeOffset now, ReviewQueueKey? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var condition = status switch
        {
            ReviewStatus.Done => "reviews >= required_reviews",
            ReviewStatus.Overdue => "reviews < required_reviews AND due_at_us < @now",
            _ => "reviews < required_reviews",
        };
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ReviewItemRow>(new CommandDefinition(
            ReviewItemColumns + " WHERE workflow_id = @workflowId AND " + condition +
            (after is null ? "" : " AND (due_at_us > @afterDue OR (due_at_us = @afterDue AND case_id > @afterCase))") +
            " ORDER BY due_at_us, case_id LIMIT @limit",
            new { workflowId, now = ToMicros(now), limit, afterDue = after is null ? 0 : ToMicros(after.DueAt), afterCase = after?.CaseId ?? "" },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<int> CountOverdueReviewsAsync(string workflowId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM review_queue WHERE workflow_id = @workflowId AND reviews < required_reviews AND due_at_us < @now",
            new { workflowId, now = ToMicros(now) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredReview>> ListCaseReviewsAsync(string caseId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ReviewRow>(new CommandDefinition(
            ReviewColumns + " WHERE r.case_id = @caseId ORDER BY r.slot", new { caseId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredReview>> ListWorkflowReviewsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ReviewRow>(new CommandDefinition(
            ReviewColumns + " JOIN review_queue q ON q.case_id = r.case_id WHERE q.workflow_id = @workflowId ORDER BY r.case_id, r.slot",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<StoredReviewItem>> ListUnflaggedOverdueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ReviewItemRow>(new CommandDefinition(
            ReviewItemColumns + " WHERE reviews < required_reviews AND due_at_us < @now AND overdue_flagged_us IS NULL ORDER BY due_at_us, case_id LIMIT @limit",
            new { now = ToMicros(now), limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>A case into the queue; one already queued is a conflict, which rolls back its <c>case.sampled</c> event too.</summary>
    private static async Task EnqueueReviewRowAsync(DbConnection connection, DbTransaction tx, StoredReviewItem item, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO review_queue (case_id, workflow_id, sampled_at_us, due_at_us, rate, weight, reasons, required_reviews, reviews) " +
                "VALUES (@CaseId, @WorkflowId, @SampledAtUs, @DueAtUs, @Rate, @Weight, @Reasons, @RequiredReviews, 0)",
                new
                {
                    item.CaseId, item.WorkflowId, SampledAtUs = ToMicros(item.SampledAt), DueAtUs = ToMicros(item.DueAt), item.Rate, item.Weight, item.Reasons,
                    RequiredReviews = (long)item.RequiredReviews,
                },
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new StoreConflictException($"Case {item.CaseId} was not queued for review: it is queued already.");
        }
    }

    /// <summary>
    /// A review in its slot: the queue's count moves from slot - 1 to slot (two reviewers at once, one gets the slot),
    /// and the (case, reviewer) key refuses a second review by the same person.
    /// </summary>
    private static async Task RecordReviewRowAsync(DbConnection connection, DbTransaction tx, StoredReview review, CancellationToken cancellationToken)
    {
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE review_queue SET reviews = @slot WHERE case_id = @caseId AND reviews = @before AND required_reviews >= @slot",
            new { caseId = review.CaseId, slot = (long)review.Slot, before = (long)review.Slot - 1 }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (moved != 1)
        {
            throw new StoreConflictException($"The review of case {review.CaseId} was not recorded: its review {review.Slot} is taken or not needed, or it is not queued.");
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO reviews (case_id, reviewer, slot, correctness, citations, action, comment, at_us) " +
                "VALUES (@CaseId, @Reviewer, @Slot, @Correctness, @Citations, @Action, @Comment, @AtUs)",
                new { review.CaseId, review.Reviewer, Slot = (long)review.Slot, review.Correctness, review.Citations, review.Action, review.Comment, AtUs = ToMicros(review.At) },
                tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new StoreConflictException($"The review of case {review.CaseId} was not recorded: {review.Reviewer} reviewed it already.");
        }
    }

    private static async Task FlagOverdueRowAsync(DbConnection connection, DbTransaction tx, ReviewOverdueFlaggedRow flag, CancellationToken cancellationToken)
    {
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE review_queue SET overdue_flagged_us = @at WHERE case_id = @caseId AND overdue_flagged_us IS NULL",
            new { caseId = flag.CaseId, at = ToMicros(flag.At) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (changed != 1)
        {
            throw new StoreConflictException($"Case {flag.CaseId} was not flagged overdue: it was flagged already, or it is not queued.");
        }
    }

    private sealed class ReviewItemRow
    {
        public string CaseId { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public long SampledAtUs { get; set; }
        public long DueAtUs { get; set; }
        public double Rate { get; set; }
        public double Weight { get; set; }
        public string Reasons { get; set; } = "";
        public long RequiredReviews { get; set; }
        public long Reviews { get; set; }
        public long? OverdueFlaggedUs { get; set; }

        public StoredReviewItem ToRecord() => new(
            CaseId, WorkflowId, FromMicros(SampledAtUs), FromMicros(DueAtUs), Rate, Weight, Reasons, (int)RequiredReviews, (int)Reviews, FromMicros(OverdueFlaggedUs));
    }

    private sealed class ReviewRow
    {
        public string CaseId { get; set; } = "";
        public string Reviewer { get; set; } = "";
        public long Slot { get; set; }
        public string Correctness { get; set; } = "";
        public string Citations { get; set; } = "";
        public string Action { get; set; } = "";
        public string? Comment { get; set; }
        public long AtUs { get; set; }

        public StoredReview ToRecord() => new(CaseId, Reviewer, (int)Slot, Correctness, Citations, Action, Comment, FromMicros(AtUs));
    }
}
