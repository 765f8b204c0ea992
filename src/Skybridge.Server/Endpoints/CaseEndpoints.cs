using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Core.Access;
using Skybridge.Core.Identity;
using Skybridge.Server.Endpoints;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Application.Agents;
using Skybridge.Storage;
using Skybridge.Application.Cases;
using Skybridge.Application.Ledger;

using Skybridge.Server.Console;

namespace Skybridge.Server.Endpoints;

/// <summary>
/// Body of a case submission. <see cref="Workflow"/> may be left out by an agent (its token names it);
/// <see cref="Attributes"/> are named values of the case (a ticket id) the manifest's responder fills parameters from.
/// </summary>
public sealed record SubmitCaseRequest(string? Workflow, string Text, Dictionary<string, string>? Attributes = null);

/// <summary>
/// <c>POST /api/cases</c>: an agent (or a person through the CLI) submits a case and gets its draft. DPoP-bound tokens
/// only, scope <c>cases:write</c>; an agent works for its own workflow, a person for one they hold a role on.
/// </summary>
internal static class CaseEndpoints
{
    public static void MapCaseEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cases").RequireAuthorization(OAuthEndpoints.AgentPolicy).WithTags("cases");
        group.MapPost("/", async (SubmitCaseRequest request, HttpContext context, CaseService cases, IdentityState state) =>
        {
            var claims = (AccessTokenClaims)context.Items[typeof(AccessTokenClaims)]!;
            if (CaseSubmission.TextProblem(request.Text) is { } textProblem)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_case", textProblem);
            }

            var workflow = claims.Workflow ?? request.Workflow;
            if (workflow is null || (claims.Workflow is not null && request.Workflow is not null && request.Workflow != claims.Workflow))
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_workflow", "Name the workflow; an agent may submit cases to its own workflow only.");
            }

            if (CaseSubmission.AttributeProblem(request.Attributes) is { } problem)
            {
                return ApiProblems.Problem(StatusCodes.Status400BadRequest, "invalid_attributes", problem);
            }

            var result = await cases.SubmitAsync(new CaseSubmission
            {
                WorkflowId = workflow,
                Text = request.Text,
                Attributes = request.Attributes ?? [],
                Actors = TokenActors.Of(claims),
                SubmittedBy = claims.Subject,
                // An agent that may propose actions has its case's action proposed in its own name; a person's case, or
                // an agent's without actions:propose, by the node's responder (the submitter stays in the actor chain).
                Agent = claims.IsPersonToken || !claims.Scope.Contains(AccessRules.ActionsPropose) ? null : new CaseAgent(claims.ClientId, claims.Role ?? "", claims.KeyThumbprint),
            }, state.Halt(workflow) is not null, context.RequestAborted).ConfigureAwait(false);
            return result.Outcome switch
            {
                CaseOutcome.Halted => ApiProblems.Problem(StatusCodes.Status409Conflict, "workflow_halted", $"{workflow} is halted: no drafts are made."),
                CaseOutcome.UnknownWorkflow => ApiProblems.Problem(StatusCodes.Status404NotFound, "not_found", "No such workflow, or nothing of it is active."),
                _ => Results.Text(WithProposal(WithLinks(Skybridge.Grounding.Answering.DraftView.ToJson(result.Draft!, result.CaseId), workflow), result.Proposal).ToJsonString(), "application/json", statusCode: StatusCodes.Status201Created),
            };
        }).RequirePermission(Permission.SubmitCase, SubmittedTo).WithSummary("Submits a case (text and optional attributes); answers with its draft (an answer citing exact passages, or an abstention with its reason) and the action the responder proposed for it, with its state.");

        group.MapGet("/{id}", (string id, HttpContext context) =>
        {
            // The permission filter read the case to learn its workflow; it is not read twice.
            var stored = context.Items[typeof(StoredCase)] as StoredCase;
            return stored is not null
                ? Results.Text(WithLinks(JsonNode.Parse(stored.Draft)!.AsObject(), stored.WorkflowId).ToJsonString(), "application/json")
                : ApiProblems.Problem(StatusCodes.Status404NotFound, "not_found", "No such case.");
        }).RequirePermission(Permission.ReadCase, CaseWorkflowAsync).WithSummary("A submitted case's draft.");

        group.MapGet("/{id}/trail", async (string id, HttpContext context, LedgerReplay replay) =>
            Results.Ok(await replay.ReplayAsync(id, context.RequestAborted).ConfigureAwait(false)))
            .RequirePermission(Permission.ReadCaseTrail, CaseWorkflowAsync)
            .WithSummary("The case's chain of custody from the ledger: every event in order, each with its inclusion proof checked against the newest signed checkpoint.");
    }

    /// <summary>An agent submits to its own workflow (the handler refuses another one in the body); a person names one.</summary>
    private static ValueTask<AccessTarget> SubmittedTo(EndpointFilterInvocationContext context)
    {
        var named = (context.HttpContext.Items[typeof(AccessTokenClaims)] as AccessTokenClaims)?.Workflow
            ?? context.Arguments.OfType<SubmitCaseRequest>().FirstOrDefault()?.Workflow;
        return ValueTask.FromResult(named is null ? AccessTarget.Missing : AccessTarget.Workflow(named));
    }

    private static readonly Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> CaseWorkflowAsync = CaseWorkflow("id");

    /// <summary>
    /// Anything about a case (its draft, its trail, its actions) is on the workflow it was submitted to; an unknown case
    /// looks like one on a workflow without a role. The case read is kept for the handler, so it is not read twice.
    /// </summary>
    internal static Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> CaseWorkflow(string routeName) => async context =>
    {
        var store = context.HttpContext.RequestServices.GetRequiredService<ICaseStore>();
        var stored = await store.GetCaseAsync((string)context.HttpContext.GetRouteValue(routeName)!, context.HttpContext.RequestAborted).ConfigureAwait(false);
        context.HttpContext.Items[typeof(StoredCase)] = stored;
        return stored is null ? AccessTarget.Missing : AccessTarget.Workflow(stored.WorkflowId);
    };

    /// <summary>
    /// The workflow of the case a call is about, when the handler needs no more of the case (proposing an action): read
    /// once per case and remembered, since a case never changes workflow.
    /// </summary>
    internal static Func<EndpointFilterInvocationContext, ValueTask<AccessTarget>> WorkflowOfCase(string routeName) => async context =>
    {
        var cases = context.HttpContext.RequestServices.GetRequiredService<Skybridge.Application.Cases.CaseWorkflows>();
        var workflow = await cases.WorkflowOfAsync((string)context.HttpContext.GetRouteValue(routeName)!, context.HttpContext.RequestAborted).ConfigureAwait(false);
        return workflow is null ? AccessTarget.Missing : AccessTarget.Workflow(workflow);
    };

    /// <summary>The responder's proposal, when the manifest names one: its action and state (or why nothing was proposed).</summary>
    private static JsonObject WithProposal(JsonObject draft, CaseProposal? proposal)
    {
        if (proposal is not null)
        {
            draft["proposal"] = proposal.ToJson();
        }

        return draft;
    }

    /// <summary>Each citation gets a link to the console's source view, which highlights the quoted span.</summary>
    private static JsonObject WithLinks(JsonObject draft, string workflow)
    {
        foreach (var citation in draft["citations"]!.AsArray().Concat(draft["claims"]!.AsArray().SelectMany(c => c!["citations"]!.AsArray())))
        {
            citation!["link"] = SourceView.Link(workflow, (string)citation["source"]!, (string)citation["document"]!, (string)citation["version"]!, (int)citation["start"]!, (int)citation["end"]!);
        }

        return draft;
    }
}
