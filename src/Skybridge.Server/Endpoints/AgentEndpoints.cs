using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Core.Access;
using Skybridge.Application.Governance;
using Skybridge.Server.Authentication;
using Skybridge.Application.Tokens;
using Skybridge.Application.Accounts;
using Skybridge.Application.Agents;
using Skybridge.Storage;
using Skybridge.Application.Manifests;

namespace Skybridge.Server.Endpoints;

/// <summary>Body of an agent registration: the agent's name, its role, and its public key as a JWK (never the private key).</summary>
public sealed record RegisterAgentRequest(string Name, string Role, JsonElement PublicKey);

/// <summary>Body of a key rotation.</summary>
public sealed record RotateAgentKeyRequest(JsonElement PublicKey);

/// <summary>Body of a halt or resume: why.</summary>
public sealed record HaltRequest(string Reason);

/// <summary>An agent as the API shows it.</summary>
public sealed record AgentView(string ClientId, string Workflow, string Name, string Role, string Status, string CreatedBy, DateTimeOffset CreatedAt, IReadOnlyList<string> KeyIds)
{
    internal static AgentView Of(StoredAgent a) => new(a.ClientId, a.WorkflowId, a.Name, a.Role, a.Status, a.CreatedBy, a.CreatedAt, [.. a.Keys.Select(k => k.KeyId)]);
}

internal static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/workflows/{id}").WithTags("agents");

        group.MapGet("/agents", async (string id, HttpContext context, AgentService agents) =>
            Results.Ok((await agents.ListAsync(id, context.RequestAborted).ConfigureAwait(false)).Select(AgentView.Of)))
            .RequirePermission(Permission.ReadWorkflow)
            .WithSummary("The workflow's agents, their roles, status and key ids.");

        group.MapPost("/agents", async (string id, RegisterAgentRequest request, HttpContext context, AgentService agents) =>
        {
            var result = await agents.RegisterAsync(PeopleSignIn.UserName(context.User)!, id, request.Name ?? "", request.Role ?? "", request.PublicKey.GetRawText(), context.RequestAborted).ConfigureAwait(false);
            return Answer(result, StatusCodes.Status201Created);
        }).RequirePermission(Permission.ManageAgents).WithSummary("Registers an agent with its public key (made on the agent's side).");

        group.MapPut("/agents/{name}/key", async (string id, string name, RotateAgentKeyRequest request, HttpContext context, AgentService agents) =>
        {
            return Answer(await agents.RotateKeyAsync(PeopleSignIn.UserName(context.User)!, AgentService.ClientId(id, name), request.PublicKey.GetRawText(), context.RequestAborted).ConfigureAwait(false), StatusCodes.Status200OK);
        }).RequirePermission(Permission.ManageAgents).WithSummary("Replaces the agent's public key; the old one stops authenticating at once.");

        foreach (var (verb, enabled) in new[] { ("disable", false), ("enable", true) })
        {
            group.MapPost($"/agents/{{name}}/{verb}", async (string id, string name, HttpContext context, AgentService agents) =>
            {
                return Answer(await agents.SetEnabledAsync(PeopleSignIn.UserName(context.User)!, AgentService.ClientId(id, name), enabled, context.RequestAborted).ConfigureAwait(false), StatusCodes.Status200OK);
            }).RequirePermission(Permission.ManageAgents).WithSummary(enabled ? "Re-enables a disabled agent." : "Disables an agent: no new tokens, and its tokens stop working at once.");
        }

        group.MapGet("/halt", async (string id, HttpContext context, IWorkflowStore store, IActiveManifests manifests, IPeopleDirectory people) =>
        {
            var halt = (await store.ListHaltsAsync(context.RequestAborted).ConfigureAwait(false)).FirstOrDefault(h => h.WorkflowId == id);
            var manifest = (await manifests.GetAsync(id, context.RequestAborted).ConfigureAwait(false))?.Manifest;
            return Results.Ok(new
            {
                halted = halt is not null,
                halt?.HaltedBy,
                halt?.Reason,
                halt?.At,
                authority = HaltAuthority.Describe(manifest),
                mayPress = await HaltAuthority.AllowsAsync(manifest, PeopleSignIn.UserName(context.User)!, people, context.RequestAborted).ConfigureAwait(false),
            });
        }).RequirePermission(Permission.ReadWorkflow).WithSummary("Whether the workflow is halted, by whom and why.");

        group.MapPost("/halt", async (string id, HaltRequest request, HttpContext context, KillSwitch killSwitch, IActiveManifests manifests, IPeopleDirectory people) =>
        {
            if (await NotAuthorityAsync(id, context, manifests, people).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }

            var done = await killSwitch.HaltAsync(PeopleSignIn.UserName(context.User)!, id, Reason(request), context.RequestAborted).ConfigureAwait(false);
            return done ? Results.Ok(new { halted = true }) : ApiProblems.Problem(StatusCodes.Status409Conflict, "already_halted", $"{id} is already halted.");
        }).RequirePermission(Permission.HaltWorkflow).WithSummary("The kill switch: halts the workflow at once; its agents' tokens stop working.");

        group.MapPost("/resume", async (string id, HaltRequest request, HttpContext context, KillSwitch killSwitch, IActiveManifests manifests, IPeopleDirectory people) =>
        {
            if (await NotAuthorityAsync(id, context, manifests, people).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }

            var done = await killSwitch.ResumeAsync(PeopleSignIn.UserName(context.User)!, id, Reason(request), context.RequestAborted).ConfigureAwait(false);
            return done ? Results.Ok(new { halted = false }) : ApiProblems.Problem(StatusCodes.Status409Conflict, "not_halted", $"{id} is not halted.");
        }).RequirePermission(Permission.HaltWorkflow).WithSummary("Resumes a halted workflow.");
    }

    /// <summary>A 403 for a person who holds the role permission but is not in the workflow's halt authority.</summary>
    private static async Task<IResult?> NotAuthorityAsync(string id, HttpContext context, IActiveManifests manifests, IPeopleDirectory people)
    {
        var manifest = (await manifests.GetAsync(id, context.RequestAborted).ConfigureAwait(false))?.Manifest;
        var user = PeopleSignIn.UserName(context.User)!;
        return await HaltAuthority.AllowsAsync(manifest, user, people, context.RequestAborted).ConfigureAwait(false)
            ? null
            : ApiProblems.Problem(StatusCodes.Status403Forbidden, HaltAuthority.NotAuthority,
                $"Only the halt authority of {id} may halt or resume it ({string.Join(", ", HaltAuthority.Describe(manifest))}); {user} is not in it.");
    }

    private static string Reason(HaltRequest? request) => string.IsNullOrWhiteSpace(request?.Reason) ? "(no reason given)" : request.Reason.Trim()[..Math.Min(request.Reason.Trim().Length, 500)];

    private static IResult Answer(AgentResult result, int successStatus) => result.Outcome switch
    {
        AgentOutcome.Done => Results.Json(AgentView.Of(result.Agent!), statusCode: successStatus),
        AgentOutcome.UnknownWorkflow or AgentOutcome.UnknownAgent => ApiProblems.Problem(StatusCodes.Status404NotFound, "not_found", result.Problem!),
        AgentOutcome.NameTaken or AgentOutcome.Unchanged => ApiProblems.Problem(StatusCodes.Status409Conflict, result.Outcome == AgentOutcome.NameTaken ? "agent_exists" : "unchanged", result.Problem!),
        _ => ApiProblems.Problem(StatusCodes.Status400BadRequest, result.Outcome switch
        {
            AgentOutcome.UnknownRole => "unknown_agent_role",
            AgentOutcome.InvalidName => "invalid_agent_name",
            _ => "invalid_key",
        }, result.Problem!),
    };
}
