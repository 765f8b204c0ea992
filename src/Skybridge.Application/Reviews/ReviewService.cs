using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Skybridge.Application.Accounts;
using Skybridge.Application.Cases;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Storage;

namespace Skybridge.Application.Reviews;

/// <summary>How live review runs on a node.</summary>
/// <param name="DueAfter">How long reviewers have for a sampled case (default 24 hours).</param>
/// <param name="SecondReviewerShare">The share of sampled cases a second person reviews too (default 10%).</param>
public sealed record ReviewOptions(TimeSpan? DueAfter = null, double SecondReviewerShare = ReviewSampling.DefaultSecondReviewerShare)
{
    /// <summary>The due time used.</summary>
    public TimeSpan Due => DueAfter ?? TimeSpan.FromHours(24);
}

/// <summary>Stable codes of live review.</summary>
public static class ReviewCodes
{
    /// <summary>The case is not in the review queue (unknown, or not sampled).</summary>
    public const string NotQueued = "review_not_queued";

    /// <summary>The person is not in the workflow's review authority.</summary>
    public const string NotReviewer = "not_a_reviewer";

    /// <summary>The person submitted the case: nobody reviews their own work.</summary>
    public const string SelfReview = "self_review";

    /// <summary>The person reviewed this case already.</summary>
    public const string AlreadyReviewed = "already_reviewed";

    /// <summary>The case has all the reviews it needs.</summary>
    public const string ReviewComplete = "review_complete";

    /// <summary>A verdict is not one of its spellings.</summary>
    public const string InvalidVerdict = "invalid_verdict";

    /// <summary>The comment is too long or has control characters.</summary>
    public const string InvalidComment = "invalid_comment";
}

/// <summary>What enqueueing a case did.</summary>
public enum EnqueueOutcome
{
    /// <summary>The case entered the queue (and <c>case.sampled</c> was recorded).</summary>
    Queued,

    /// <summary>The draw did not sample the case.</summary>
    NotSampled,

    /// <summary>The case was queued before: nothing was written.</summary>
    AlreadyQueued,
}

/// <summary>A refused review.</summary>
public sealed record ReviewRefusal(string Code, string Message);

/// <summary>The summary of a workflow's live review.</summary>
public sealed record ReviewSummary(string WorkflowId, int Queued, int Open, int Done, int Overdue, int Reviews, ProductionMetrics Metrics);

/// <summary>
/// Live review: sampled cases enter the queue once; people in the manifest's review authority grade them; production
/// metrics with intervals and reviewer agreement come from their grades.
/// </summary>
/// <remarks>
/// <paramref name="golden"/> feeds the <c>unlike_golden_set</c> signal from the evaluation run the active version's
/// activation names; without it (or without a run) the signal is unknown, and a sampled case says so beside its reasons.
/// </remarks>
public sealed class ReviewService(IReviewStore store, ICaseStore cases, IActiveManifests manifests, IPeopleDirectory people, ILedger ledger, TimeProvider time, ReviewOptions? options = null, GoldenReferences? golden = null)
{
    /// <summary>Longest comment accepted.</summary>
    public const int MaxCommentLength = 4_000;

    private readonly ReviewOptions _options = options ?? new ReviewOptions();

    // A workflow's salt never changes once stored: read once per node, not on every case.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _salts = new(StringComparer.Ordinal);

    /// <summary>
    /// Decides whether a drafted case is reviewed and, if so, queues it with <c>case.sampled</c>. The same case always
    /// gets the same decision; a second call for a queued case (a retried flow) writes nothing.
    /// </summary>
    public Task<EnqueueOutcome> EnqueueAsync(ActiveManifest active, string caseId, Draft draft, CaseProposal? proposal, CancellationToken cancellationToken) =>
        EnqueueAsync(active, caseId, null, draft, proposal, cancellationToken);

    /// <summary>
    /// Decides whether a drafted case is reviewed, comparing <paramref name="caseText"/> with the golden cases of the
    /// active version's evaluation run (null: that signal is unknown), and if so queues it with <c>case.sampled</c>.
    /// </summary>
    public async Task<EnqueueOutcome> EnqueueAsync(ActiveManifest active, string caseId, string? caseText, Draft draft, CaseProposal? proposal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(draft);
        var manifest = active.Manifest;
        var consequential = proposal?.Answer is not null && manifest.FindAction(proposal.Action)?.Consequence == ActionConsequence.Consequential;
        // Signals weigh only where a share is sampled: at L0 and L1 every case is reviewed, so nothing is loaded there.
        var weighed = manifest.Autonomy.Level is not (AutonomyLevel.L0Draft or AutonomyLevel.L1ApproveAll);
        var reference = !weighed ? null
            : caseText is null ? GoldenReference.Unknown("case text not given")
            : golden is null ? GoldenReference.Unknown("not compared on this node")
            : await golden.GetAsync(active, cancellationToken).ConfigureAwait(false);
        var unlike = reference is not null && caseText is not null && reference.IsUnlike(caseText);
        var risk = new RiskSignals(consequential, RiskSignals.IsLowConfidence(draft.Confidence, manifest.Retrieval.AbstainBelow), draft.Abstained, unlike);
        if (!_salts.TryGetValue(active.WorkflowId, out var salt))
        {
            salt = await store.GetOrCreateReviewSaltAsync(active.WorkflowId, RandomNumberGenerator.GetBytes(32), cancellationToken).ConfigureAwait(false);
            _salts[active.WorkflowId] = salt;
        }

        var decision = ReviewSampling.Decide(caseId, salt, manifest.Autonomy.Level, manifest.Autonomy.ReviewSampleRate, risk, _options.SecondReviewerShare);
        if (!decision.Sampled)
        {
            return EnqueueOutcome.NotSampled;
        }

        // A signal that could not be computed is listed after the reasons, with why, so a reader knows it was not weighed.
        IReadOnlyList<string> reasons = reference?.UnknownNote is { } note ? [.. decision.Reasons, note] : decision.Reasons;
        var now = time.GetUtcNow();
        var item = new StoredReviewItem(caseId, active.WorkflowId, now, now + _options.Due, decision.Rate, decision.Weight,
            ReviewSampling.FormatReasons(reasons), decision.SecondReviewer ? 2 : 1);
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.CaseSampled,
            Actors = [LedgerActor.System("review-sampler")],
            WorkflowId = active.WorkflowId,
            WorkflowVersion = active.Version,
            CaseId = caseId,
            Outcome = "sampled",
            Content = new JsonObject
            {
                ["rate"] = decision.Rate,
                ["base_rate"] = decision.BaseRate,
                ["weight"] = decision.Weight,
                ["reasons"] = new JsonArray([.. decision.Reasons.Select(r => (JsonNode)r)]),
                ["unknown"] = reference?.UnknownNote is { } unknown ? new JsonArray(unknown) : null,
                ["golden_run"] = reference?.RunId,
                ["due_at"] = item.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["reviewers"] = item.RequiredReviews,
            },
        };
        try
        {
            await ledger.AppendAsync([entry], [new ReviewEnqueuedRow(item)], cancellationToken).ConfigureAwait(false);
            return EnqueueOutcome.Queued;
        }
        catch (StoreConflictException)
        {
            // The queue's key is the case id: the first enqueue stands, and its event with it.
            return EnqueueOutcome.AlreadyQueued;
        }
    }

    /// <summary>A workflow's queued cases in a status, oldest due first.</summary>
    public Task<IReadOnlyList<StoredReviewItem>> ListAsync(string workflowId, ReviewStatus status, int limit, CancellationToken cancellationToken) =>
        store.ListReviewItemsAsync(workflowId, status, time.GetUtcNow(), limit, cancellationToken);

    /// <summary>
    /// A page of the queue: at most <paramref name="limit"/> items after <paramref name="after"/> (null: from the start),
    /// and the cursor of the next page when more follow.
    /// </summary>
    public async Task<ReviewQueuePage> ListPageAsync(string workflowId, ReviewStatus status, ReviewQueueKey? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        // One more than asked says whether a next page exists without a second query.
        var items = await store.ListReviewItemsPageAsync(workflowId, status, time.GetUtcNow(), after, limit + 1, cancellationToken).ConfigureAwait(false);
        return items.Count > limit
            ? new ReviewQueuePage([.. items.Take(limit)], ReviewQueuePaging.Cursor(items[limit - 1]))
            : new ReviewQueuePage(items, null);
    }

    /// <summary>
    /// Records <paramref name="reviewer"/>'s review of a queued case, if they are in the review authority (their groups
    /// as they are now), did not submit the case, and have not reviewed it yet.
    /// </summary>
    public async Task<(StoredReview? Review, ReviewRefusal? Refusal)> SubmitAsync(string caseId, string reviewer, string correctness, string citations, string action, string? comment, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reviewer);
        if (!ReviewVerdicts.TryParse(correctness, out CorrectnessVerdict _))
        {
            return Refuse(ReviewCodes.InvalidVerdict, $"correctness is one of {string.Join(", ", ReviewVerdicts.Correctness)}.");
        }

        if (!ReviewVerdicts.TryParse(citations, out CitationVerdict _))
        {
            return Refuse(ReviewCodes.InvalidVerdict, $"citations is one of {string.Join(", ", ReviewVerdicts.Citations)}.");
        }

        if (!ReviewVerdicts.TryParse(action, out ActionVerdict _))
        {
            return Refuse(ReviewCodes.InvalidVerdict, $"action is one of {string.Join(", ", ReviewVerdicts.Actions)}.");
        }

        if (comment is not null && (comment.Length > MaxCommentLength || comment.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t')))
        {
            return Refuse(ReviewCodes.InvalidComment, $"A comment is at most {MaxCommentLength} characters of text.");
        }

        var item = await store.GetReviewItemAsync(caseId, cancellationToken).ConfigureAwait(false);
        var stored = item is null ? null : await cases.GetCaseAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (item is null || stored is null)
        {
            return Refuse(ReviewCodes.NotQueued, $"Case {caseId} is not in the review queue.");
        }

        var active = await manifests.GetAsync(item.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (active is null || !await IsReviewerAsync(active.Manifest, reviewer, cancellationToken).ConfigureAwait(false))
        {
            return Refuse(ReviewCodes.NotReviewer, $"{reviewer} is not in the review authority of {item.WorkflowId}.");
        }

        if (stored.SubmittedBy == reviewer || (Subject.TryParse(stored.SubmittedBy, out var submitter) && submitter.Kind == SubjectKind.Person && submitter.Name == reviewer))
        {
            return Refuse(ReviewCodes.SelfReview, "You submitted this case; someone else reviews it.");
        }

        var existing = await store.ListCaseReviewsAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (existing.Any(r => r.Reviewer == reviewer))
        {
            return Refuse(ReviewCodes.AlreadyReviewed, $"{reviewer} reviewed case {caseId} already.");
        }

        if (existing.Count >= item.RequiredReviews)
        {
            return Refuse(ReviewCodes.ReviewComplete, $"Case {caseId} has all the reviews it needs ({item.RequiredReviews}).");
        }

        var review = new StoredReview(caseId, reviewer, existing.Count + 1, correctness, citations, action, string.IsNullOrWhiteSpace(comment) ? null : comment, time.GetUtcNow());
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.ReviewSubmitted,
            Actors = [LedgerActor.Human(reviewer)],
            WorkflowId = item.WorkflowId,
            WorkflowVersion = active.Version,
            CaseId = caseId,
            Outcome = correctness,
            InputHashes = review.Comment is null ? null : new Dictionary<string, string> { ["comment"] = TextDigest.Sha256(review.Comment) },
            Content = new JsonObject { ["slot"] = review.Slot, ["correctness"] = correctness, ["citations"] = citations, ["action"] = action },
        };
        try
        {
            await ledger.AppendAsync([entry], [new ReviewRecordedRow(review)], cancellationToken).ConfigureAwait(false);
            return (review, null);
        }
        catch (StoreConflictException)
        {
            // Two submissions at once: the store kept one per reviewer and one per slot. Say which.
            var now = await store.ListCaseReviewsAsync(caseId, cancellationToken).ConfigureAwait(false);
            return now.Any(r => r.Reviewer == reviewer)
                ? Refuse(ReviewCodes.AlreadyReviewed, $"{reviewer} reviewed case {caseId} already.")
                : Refuse(ReviewCodes.ReviewComplete, $"Someone else took this review of case {caseId}; it has the reviews it needs, or try again.");
        }
    }

    /// <summary>The workflow's queue counts, production metrics with Wilson intervals and reviewer agreement.</summary>
    public async Task<ReviewSummary> SummaryAsync(string workflowId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var reviews = await store.ListWorkflowReviewsAsync(workflowId, cancellationToken).ConfigureAwait(false);
        var open = await store.ListReviewItemsAsync(workflowId, ReviewStatus.Open, now, int.MaxValue, cancellationToken).ConfigureAwait(false);
        var done = await store.ListReviewItemsAsync(workflowId, ReviewStatus.Done, now, int.MaxValue, cancellationToken).ConfigureAwait(false);
        var overdue = await store.CountOverdueReviewsAsync(workflowId, now, cancellationToken).ConfigureAwait(false);
        var grades = reviews.GroupBy(r => r.CaseId, StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<ReviewGrades>)[.. g.OrderBy(r => r.Slot).Select(Grades)])
            .ToList();
        return new ReviewSummary(workflowId, open.Count + done.Count, open.Count, done.Count, overdue, reviews.Count, ProductionMetrics.Of(grades));
    }

    /// <summary>Whether <paramref name="userName"/> is in the manifest's review authority, by name or by a group they are in now.</summary>
    public async Task<bool> IsReviewerAsync(WorkflowManifest manifest, string userName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var authority = manifest.Authorities.Review;
        if (authority.Any(p => p.Kind == PrincipalKind.User && p.Name == userName))
        {
            return true;
        }

        if (!authority.Any(p => p.Kind == PrincipalKind.Group))
        {
            return false;
        }

        var groups = await people.GroupsOfAsync(userName, cancellationToken).ConfigureAwait(false);
        return authority.Any(p => p.Kind == PrincipalKind.Group && groups.Contains(p.Name));
    }

    private static ReviewGrades Grades(StoredReview r)
    {
        ReviewVerdicts.TryParse(r.Correctness, out CorrectnessVerdict c);
        ReviewVerdicts.TryParse(r.Citations, out CitationVerdict t);
        ReviewVerdicts.TryParse(r.Action, out ActionVerdict a);
        return new ReviewGrades(c, t, a);
    }

    private static (StoredReview?, ReviewRefusal?) Refuse(string code, string message) => (null, new ReviewRefusal(code, message));
}
