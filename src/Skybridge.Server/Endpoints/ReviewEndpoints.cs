using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Application.Reviews;
using Skybridge.Core.Access;
using Skybridge.Core.Evaluation;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of a review: the three verdicts and an optional comment.</summary>
public sealed record SubmitReviewRequest(string? Correctness, string? Citations, string? Action, string? Comment);

/// <summary>
/// Live review over HTTP: the queue of sampled cases of a workflow, reviews by the people of its review authority, and
/// the production metrics and reviewer agreement computed from them.
/// </summary>
internal static class ReviewEndpoints
{
    public static void MapReviewEndpoints(this IEndpointRouteBuilder app)
    {
        var reviews = app.MapGroup("/api").WithTags("reviews");
        reviews.MapGet("/workflows/{id}/reviews", async (string id, string? status, int? limit, string? after, ReviewService service, TimeProvider time, HttpContext context) =>
        {
            ReviewStatus? parsed = status switch
            {
                null or "open" => ReviewStatus.Open,
                "done" => ReviewStatus.Done,
                "overdue" => ReviewStatus.Overdue,
                _ => null,
            };
            if (parsed is null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_status", "status is open, done or overdue.");
            }

            ReviewQueueKey? from = null;
            if (after is not null && !ReviewQueuePaging.TryParse(after, out from))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, ReviewQueuePaging.InvalidCursor,
                    "after is not a cursor this server gave out: start again without it, or use the next link of the previous page.");
            }

            var size = Math.Clamp(limit ?? ReviewQueuePaging.DefaultLimit, 1, ReviewQueuePaging.MaxLimit);
            var page = await service.ListPageAsync(id, parsed.Value, from, size, context.RequestAborted).ConfigureAwait(false);
            if (page.Next is { } next)
            {
                // RFC 8288 web linking: the body stays the array of items; the next page is a link with the same filter.
                var url = $"/api/workflows/{Uri.EscapeDataString(id)}/reviews?status={status ?? "open"}&limit={size}&after={Uri.EscapeDataString(next)}";
                context.Response.Headers.Append("Link", $"<{url}>; rel=\"next\"");
            }

            var now = time.GetUtcNow();
            return Results.Ok(page.Items.Select(i => new
            {
                caseId = i.CaseId,
                workflowId = i.WorkflowId,
                sampledAt = i.SampledAt,
                dueAt = i.DueAt,
                overdue = i.Reviews < i.RequiredReviews && i.DueAt < now,
                rate = i.Rate,
                weight = i.Weight,
                reasons = i.Reasons.Split(',', StringSplitOptions.RemoveEmptyEntries),
                requiredReviews = i.RequiredReviews,
                reviews = i.Reviews,
            }));
        }).RequirePermission(Permission.ReadReviews)
            .WithSummary("The workflow's sampled cases: open (the default), done or overdue; oldest due first, with why each was sampled. Pages of limit items (default 50, at most 200); when more follow, a Link header with rel=\"next\" gives the next page's URL (its after cursor is opaque; a cursor this server did not make is 400 invalid_cursor).");

        reviews.MapPost("/reviews/{caseId}", async (string caseId, SubmitReviewRequest request, ReviewService service, HttpContext context) =>
        {
            var (review, refusal) = await service.SubmitAsync(caseId, PeopleSignIn.UserName(context.User)!, request.Correctness ?? "", request.Citations ?? "",
                request.Action ?? "", request.Comment, context.RequestAborted).ConfigureAwait(false);
            if (refusal is not null)
            {
                var status = refusal.Code switch
                {
                    ReviewCodes.InvalidVerdict or ReviewCodes.InvalidComment => StatusCodes.Status400BadRequest,
                    ReviewCodes.NotReviewer or ReviewCodes.SelfReview => StatusCodes.Status403Forbidden,
                    ReviewCodes.NotQueued => StatusCodes.Status404NotFound,
                    _ => StatusCodes.Status409Conflict,
                };
                return ApiProblems.Problem(status, refusal.Code, refusal.Message);
            }

            return Results.Json(new
            {
                caseId = review!.CaseId,
                reviewer = review.Reviewer,
                slot = review.Slot,
                correctness = review.Correctness,
                citations = review.Citations,
                action = review.Action,
                comment = review.Comment,
                at = review.At,
            }, statusCode: StatusCodes.Status201Created);
        }).RequirePermission(Permission.SubmitReview, CaseEndpoints.WorkflowOfCase("caseId"))
            .WithSummary("Reviews a sampled case once: correctness (correct, partly, wrong), citations (ok, wrong, missing), action (right, wrong, none_needed), a comment. The reviewer must be in the manifest's review authority and not have submitted the case.");

        reviews.MapGet("/workflows/{id}/reviews/summary", async (string id, ReviewService service, HttpContext context) =>
        {
            var s = await service.SummaryAsync(id, context.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new
            {
                workflowId = s.WorkflowId,
                queued = s.Queued,
                open = s.Open,
                done = s.Done,
                overdue = s.Overdue,
                reviews = s.Reviews,
                confidence = ProductionMetrics.Confidence,
                answerCorrectness = Rate(s.Metrics.AnswerCorrectness),
                citationsOk = Rate(s.Metrics.CitationsOk),
                actionRight = Rate(s.Metrics.ActionRight),
                agreement = new
                {
                    correctness = Kappa(s.Metrics.CorrectnessKappa),
                    citations = Kappa(s.Metrics.CitationsKappa),
                    action = Kappa(s.Metrics.ActionKappa),
                },
            });
        }).RequirePermission(Permission.ReadReviews)
            .WithSummary("Production metrics from reviews with 95% Wilson intervals, reviewer agreement (Cohen's kappa over double-reviewed cases) and the overdue count.");
    }

    private static object Rate(RateWithInterval r) => new { successes = r.Successes, total = r.Total, value = r.Value, lower = r.Interval.Lower, upper = r.Interval.Upper };

    private static object Kappa(KappaResult k) => new { kappa = k.Kappa, observed = k.Observed, expected = k.Expected, cases = k.Items };
}
