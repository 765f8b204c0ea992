using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Manifests;
using Skybridge.Application.Reviews;
using Skybridge.Core.Access;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Reviews;

/// <summary>
/// One sampled case for review: the request, the draft with its citations, the actions proposed for it, and the review
/// form (correctness, citations, action, a comment). The form is offered only to a person the review would be taken
/// from; a post goes through <see cref="ReviewService.SubmitAsync"/> with the API's rules (the manifest's review
/// authority, no self-review, one review per person) and the API's status codes.
/// </summary>
public sealed class ReviewModel : PageModel
{
    private readonly AccessService _access;
    private readonly ReviewService _reviews;
    private readonly IActiveManifests _manifests;
    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;

    public ReviewModel(AccessService access, ReviewService reviews, IActiveManifests manifests, ISkybridgeStore store, TimeProvider time)
    {
        _access = access;
        _reviews = reviews;
        _manifests = manifests;
        _store = store;
        _time = time;
    }

    public StoredReviewItem? Item { get; private set; }

    public DraftView? Draft { get; private set; }

    public IReadOnlyList<StoredAction> Actions { get; private set; } = [];

    /// <summary>The case's reviews, shown once the case is done or the viewer cannot review it (a second reviewer grades blind).</summary>
    public IReadOnlyList<StoredReview> Reviews { get; private set; } = [];

    public bool ShowReviews { get; private set; }

    /// <summary>Null when the form is offered; otherwise why not, in words.</summary>
    public string? NoForm { get; private set; }

    public bool IsOverdue { get; private set; }

    /// <summary>What the post did, in words.</summary>
    public string? Outcome { get; private set; }

    /// <summary>The refusal's stable code, when the review was refused.</summary>
    public string? RefusalCode { get; private set; }

    /// <summary>The grades and comment as posted, kept when a review is refused.</summary>
    public (string? Correctness, string? Citations, string? Action, string? Comment) Posted { get; private set; }

    public async Task<IActionResult> OnGetAsync(string caseId, CancellationToken cancellationToken) =>
        await LoadAsync(caseId, Permission.ReadReviews, cancellationToken).ConfigureAwait(false) ?? Page();

    public async Task<IActionResult> OnPostAsync(string caseId, [FromForm] string? correctness, [FromForm] string? citations, [FromForm] string? action,
        [FromForm] string? comment, CancellationToken cancellationToken)
    {
        var refused = await LoadAsync(caseId, Permission.SubmitReview, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var (review, refusal) = await _reviews.SubmitAsync(caseId, PeopleSignIn.UserName(User)!, correctness ?? "", citations ?? "", action ?? "",
            string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(), cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            (RefusalCode, Outcome) = (refusal.Code, refusal.Message);
            Posted = (correctness, citations, action, comment);
            Response.StatusCode = refusal.Code switch
            {
                ReviewCodes.InvalidVerdict or ReviewCodes.InvalidComment => StatusCodes.Status400BadRequest,
                ReviewCodes.NotReviewer or ReviewCodes.SelfReview => StatusCodes.Status403Forbidden,
                ReviewCodes.NotQueued => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
        }
        else
        {
            Outcome = $"Your review is recorded (review {review!.Slot} of {Item!.RequiredReviews}).";
        }

        // Show the case as it now stands: done, or waiting for its second reviewer.
        await LoadAsync(caseId, Permission.SubmitReview, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    /// <summary>Loads the queued case after the access check on its workflow; a refusal result, or null when the page may show.</summary>
    private async Task<IActionResult?> LoadAsync(string caseId, Permission permission, CancellationToken cancellationToken)
    {
        var item = await _store.GetReviewItemAsync(caseId, cancellationToken).ConfigureAwait(false);
        var stored = item is null ? null : await _store.GetCaseAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (item is null || stored is null)
        {
            return NotFound();
        }

        var verdict = await _access.CheckAsync(User, permission, item.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        Item = item;
        Draft = DraftView.Of(stored);
        Actions = await _store.ListCaseActionsAsync(caseId, cancellationToken).ConfigureAwait(false);
        var reviews = await _store.ListCaseReviewsAsync(caseId, cancellationToken).ConfigureAwait(false);
        IsOverdue = reviews.Count < item.RequiredReviews && item.DueAt < _time.GetUtcNow();
        NoForm = await WhyNoFormAsync(item, stored, reviews, permission, cancellationToken).ConfigureAwait(false);
        Reviews = reviews;
        ShowReviews = NoForm is not null || reviews.Count >= item.RequiredReviews;
        return null;
    }

    // The same checks as ReviewService.SubmitAsync, so the page offers the form only where a review would be taken;
    // the service checks again on every post.
    private async Task<string?> WhyNoFormAsync(StoredReviewItem item, StoredCase stored, IReadOnlyList<StoredReview> reviews, Permission checkedPermission,
        CancellationToken cancellationToken)
    {
        var userName = PeopleSignIn.UserName(User);
        if (userName is null)
        {
            return "Sign in as a reviewer to review this case.";
        }

        if (checkedPermission != Permission.SubmitReview
            && await _access.CheckAsync(User, Permission.SubmitReview, item.WorkflowId, cancellationToken).ConfigureAwait(false) != AccessVerdict.Allowed)
        {
            return "Your role lets you see this review, not give one.";
        }

        if (reviews.Any(r => r.Reviewer == userName))
        {
            return "You reviewed this case.";
        }

        if (reviews.Count >= item.RequiredReviews)
        {
            return "This case has all the reviews it needs.";
        }

        var active = await _manifests.GetAsync(item.WorkflowId, cancellationToken).ConfigureAwait(false);
        if (active is null || !await _reviews.IsReviewerAsync(active.Manifest, userName, cancellationToken).ConfigureAwait(false))
        {
            return "You are not in this workflow's review authority (the manifest's authorities.review).";
        }

        if (stored.SubmittedBy == userName || (Subject.TryParse(stored.SubmittedBy, out var submitter) && submitter.Kind == SubjectKind.Person && submitter.Name == userName))
        {
            return "You submitted this case; someone else reviews it.";
        }

        return null;
    }
}
