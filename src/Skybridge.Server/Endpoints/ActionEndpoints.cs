using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Access;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Identity;
using Skybridge.Server.Authentication;
using Skybridge.Storage;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of an action proposal: the manifest's action, its parameters, and the caller's idempotency key.</summary>
public sealed record ProposeActionRequest(string Action, JsonObject? Parameters, string IdempotencyKey);

/// <summary>Body of an approval decision: <c>approve</c> or <c>reject</c>, the call digest the person was shown, a comment.</summary>
public sealed record DecideApprovalRequest(string Decision, string CallDigest, string? Comment)
{
    /// <summary>For <c>approve_with_edits</c>: the parameters to run instead (a new call that policy decides again).</summary>
    public JsonObject? Parameters { get; init; }
}

/// <summary>
/// The action API: agents propose actions for their cases (DPoP tokens with <c>actions:propose</c>) and wait on them;
/// people list and decide approvals. What happens to a proposal is the action path's decision (schema, policy and
/// ladder, approval, ledger, connector); these endpoints only translate it to HTTP.
/// </summary>
internal static class ActionEndpoints
{
    /// <summary>Longest a caller may wait on an action in one request.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static void MapActionEndpoints(this IEndpointRouteBuilder app)
    {
        var cases = app.MapGroup("/api/cases/{caseId}/actions").RequireAuthorization(OAuthEndpoints.AgentPolicy).WithTags("actions");
        cases.MapPost("/", async (string caseId, ProposeActionRequest request, HttpContext context, ActionPipeline pipeline) =>
        {
            var claims = (AccessTokenClaims)context.Items[typeof(AccessTokenClaims)]!;
            if (string.IsNullOrWhiteSpace(request.IdempotencyKey) || request.IdempotencyKey.Length > 200)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "idempotencyKey must be 1-200 characters.");
            }

            var result = await pipeline.ProposeAsync(new ActionProposal
            {
                WorkflowId = claims.Workflow!,
                CaseId = caseId,
                Action = request.Action,
                Parameters = request.Parameters,
                IdempotencyKey = request.IdempotencyKey,
                Requester = claims.ClientId,
                RequesterRole = claims.Role ?? "",
                RequesterKey = claims.KeyThumbprint,
                Actors = TokenActors.Of(claims),
            }, context.RequestAborted).ConfigureAwait(false);
            return Answer(result);
        }).RequirePermission(Permission.ProposeAction, CaseEndpoints.WorkflowOfCase("caseId"))
          .WithSummary("Proposes an action for a case: executed (with the system's answer), pending_approval (an approval to wait on), recorded (L0) or denied (with the explanation).");

        var actions = app.MapGroup("/api/actions").RequireAuthorization(OAuthEndpoints.AgentPolicy).WithTags("actions");
        actions.MapGet("/{id}", async (string id, int? wait, HttpContext context, IActionStore store, ActionExecutor executor) =>
        {
            // Long-poll: while the action waits for people or runs, answer when it changes or the wait is over.
            var action = (StoredAction)context.Items[typeof(StoredAction)]!;
            if (await executor.WhenResultWrittenAsync(id, context.RequestAborted).ConfigureAwait(false))
            {
                // Its result was still being written when it was read (the proposer was answered first): read it again.
                action = await store.GetActionAsync(id, context.RequestAborted).ConfigureAwait(false) ?? action;
            }

            var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(Math.Clamp(wait ?? 0, 0, (int)MaxWait.TotalSeconds));
            while (action.Status is ActionStatuses.PendingApproval or ActionStatuses.Approved or ActionStatuses.Executing && DateTimeOffset.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), context.RequestAborted).ConfigureAwait(false);
                action = await store.GetActionAsync(id, context.RequestAborted).ConfigureAwait(false) ?? action;
            }

            return Results.Ok(ActionAnswers.Of(action));
        }).RequirePermission(Permission.ProposeAction, ActionWorkflowAsync).WithSummary("One action; with ?wait=SECONDS (at most 30) the answer comes when it leaves pending_approval.");

        var approvals = app.MapGroup("/api").WithTags("approvals");
        approvals.MapGet("/workflows/{id}/approvals", async (string id, string? status, string? action, int? olderThanMinutes, HttpContext context, ApprovalService service) =>
            Results.Ok((await service.ListAsync(new ApprovalQuery
            {
                WorkflowId = id,
                Status = status,
                Action = action,
                CreatedBefore = olderThanMinutes is { } minutes ? DateTimeOffset.UtcNow.AddMinutes(-minutes) : null,
            }, context.RequestAborted).ConfigureAwait(false)).Select(ApprovalView)))
            .RequirePermission(Permission.ReadApprovals)
            .WithSummary("The workflow's approvals, oldest first; filter by status (pending...), action and age.");

        approvals.MapGet("/approvals/{approvalId}", async (string approvalId, HttpContext context, IActionStore store, ApprovalService service) =>
        {
            await service.ExpireDueAsync(context.RequestAborted).ConfigureAwait(false);
            var approval = await store.GetApprovalAsync(approvalId, context.RequestAborted).ConfigureAwait(false);
            var action = approval is null ? null : await store.GetActionAsync(approval.ActionId, context.RequestAborted).ConfigureAwait(false);
            if (approval is null || action is null)
            {
                return ApiProblems.Problem(StatusCodes.Status404NotFound, ApprovalService.NotFound, $"No approval {approvalId}.");
            }

            // The exact call a decision is bound to (parameters as stored, the digest they hash to) and, for an edited
            // call, the call it replaced.
            var editedFrom = await service.EditedFromAsync(action, context.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new
            {
                approval = ApprovalView(approval),
                parameters = JsonNode.Parse(action.Parameters),
                requester = action.Requester,
                actionStatus = action.Status,
                editedFrom = editedFrom is null ? null : new { actionId = editedFrom.Id, parameters = JsonNode.Parse(editedFrom.Parameters) },
            });
        }).RequirePermission(Permission.ReadApprovals, ApprovalWorkflowAsync).WithSummary("One approval with the exact call it is bound to (and the call an edit replaced).");

        approvals.MapPost("/approvals/{approvalId}/decision", async (string approvalId, DecideApprovalRequest request, HttpContext context, ApprovalService service) =>
        {
            var verdict = request.Decision switch
            {
                "approve" => ApprovalVerdict.Approve,
                "reject" => ApprovalVerdict.Reject,
                "approve_with_edits" => ApprovalVerdict.ApproveWithEdits,
                _ => (ApprovalVerdict?)null,
            };
            if (verdict is null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_decision", "decision is approve, reject or approve_with_edits.");
            }

            if (verdict != ApprovalVerdict.ApproveWithEdits && request.Parameters is not null)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_decision", "parameters go with approve_with_edits only; approve runs the call as shown.");
            }

            var result = await service.DecideAsync(approvalId, new Approver(PeopleSignIn.UserName(context.User)!, []), verdict.Value, request.CallDigest, request.Comment,
                request.Parameters, context.RequestAborted).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                var status = result.Refusal!.Code switch
                {
                    ApprovalService.NotFound => StatusCodes.Status404NotFound,
                    ApprovalErrorCodes.NotEligible or ApprovalErrorCodes.SelfApproval => StatusCodes.Status403Forbidden,
                    ActionCodes.InvalidParameters or ActionCodes.UnknownAction or ApprovalErrorCodes.InvalidEdits => StatusCodes.Status400BadRequest,
                    _ => StatusCodes.Status409Conflict,
                };
                return ApiProblems.Problem(status, result.Refusal.Code, result.Refusal.Message,
                    extensions: result.Problems is null ? null : new Dictionary<string, object?> { ["problems"] = result.Problems });
            }

            // With edits, the action is the NEW call as policy decided it (executed, pending_approval with its own
            // approval, or denied); the original approval names it in its closing vote.
            return verdict == ApprovalVerdict.ApproveWithEdits
                ? Results.Ok(new { approval = ApprovalView(result.Approval!), action = result.Action, editedFrom = result.Approval!.ActionId })
                : Results.Ok(new { approval = ApprovalView(result.Approval!), action = result.Action });
        }).RequirePermission(Permission.DecideApproval, ApprovalWorkflowAsync)
            .WithSummary("Decides an approval once: approve or reject the exact call (its digest), or approve_with_edits with new parameters (a new call policy decides again), with a comment.");
    }

    private static IResult Answer(ActionResult result)
    {
        if (result.Refusal is { } refusal)
        {
            var status = refusal.Code switch
            {
                ActionCodes.UnknownWorkflow => StatusCodes.Status404NotFound,
                ActionCodes.IdempotencyKeyReused or ActionCodes.Halted => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            };
            return ApiProblems.Problem(status, refusal.Code, refusal.Message,
                extensions: refusal.Problems is null ? null : new Dictionary<string, object?> { ["problems"] = refusal.Problems });
        }

        var answer = result.Answer!;
        return Results.Json(answer, statusCode: answer.Status == ActionStatuses.PendingApproval ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    private static object ApprovalView(StoredApproval a) => new
    {
        a.Id, a.ActionId, a.WorkflowId, a.CaseId, a.Action, a.CallDigest, a.Status, a.RequiredApprovers,
        Eligible = JsonNode.Parse(a.Eligible), Votes = JsonNode.Parse(a.Votes), a.CreatedAt, a.ExpiresAt, a.ClosedAt,
    };

    private static async ValueTask<AccessTarget> ActionWorkflowAsync(EndpointFilterInvocationContext context)
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<IActionStore>();
        var action = await store.GetActionAsync((string)context.HttpContext.GetRouteValue("id")!, context.HttpContext.RequestAborted).ConfigureAwait(false);
        context.HttpContext.Items[typeof(StoredAction)] = action;
        return action is null ? AccessTarget.Missing : AccessTarget.Workflow(action.WorkflowId);
    }

    private static async ValueTask<AccessTarget> ApprovalWorkflowAsync(EndpointFilterInvocationContext context)
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<IActionStore>();
        var approval = await store.GetApprovalAsync((string)context.HttpContext.GetRouteValue("approvalId")!, context.HttpContext.RequestAborted).ConfigureAwait(false);
        return approval is null ? AccessTarget.Missing : AccessTarget.Workflow(approval.WorkflowId);
    }
}
