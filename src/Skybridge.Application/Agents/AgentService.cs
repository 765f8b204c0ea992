using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens;
using Skybridge.Storage;

namespace Skybridge.Application.Agents;

/// <summary>What a registration, key rotation or status change did.</summary>
public enum AgentOutcome
{
    /// <summary>Done.</summary>
    Done,

    /// <summary>No such workflow, or nothing of it is active.</summary>
    UnknownWorkflow,

    /// <summary>The active manifest declares no such agent role.</summary>
    UnknownRole,

    /// <summary>The name is not a lower-case slug.</summary>
    InvalidName,

    /// <summary>An agent with this name already exists in the workflow.</summary>
    NameTaken,

    /// <summary>The key is not an acceptable public key.</summary>
    InvalidKey,

    /// <summary>No such agent.</summary>
    UnknownAgent,

    /// <summary>Nothing changed (already in that status, or the same key).</summary>
    Unchanged,
}

/// <summary>The result of an agent operation; <see cref="Problem"/> explains a refusal.</summary>
public sealed record AgentResult(AgentOutcome Outcome, StoredAgent? Agent = null, string? Problem = null)
{
    /// <summary>On registration: the scopes the agent's role may be granted.</summary>
    public IReadOnlyList<string> RoleScopes { get; init; } = [];
}

/// <summary>
/// Agent identities: registration with a public key made on the agent's side (the private key never reaches
/// Skybridge), key rotation, disabling and enabling. Every change goes into the ledger. Used by the API and the CLI.
/// </summary>
public sealed partial class AgentService
{
    private readonly IAgentStore _store;
    private readonly IWorkflowStore _workflows;
    private readonly TimeProvider _time;
    private readonly ILedger _ledger;
    private readonly IdentityState? _state;

    /// <summary>
    /// The service over <paramref name="store"/>. <paramref name="state"/> is the running node's state, refreshed after each
    /// change so that it applies at once; null from the CLI (nodes pick changes up within a second).
    /// </summary>
    public AgentService(IAgentStore store, IWorkflowStore workflows, TimeProvider time, ILedger ledger, IdentityState? state = null)
    {
        _store = store;
        _workflows = workflows;
        _time = time;
        _ledger = ledger;
        _state = state;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>The client id of agent <paramref name="name"/> of <paramref name="workflowId"/>.</summary>
    public static string ClientId(string workflowId, string name) => workflowId + "/" + name;

    /// <summary>Registers an agent in a role of the workflow's active manifest, with its public key (JWK JSON).</summary>
    public async Task<AgentResult> RegisterAsync(string actor, string workflowId, string name, string role, string publicJwk, CancellationToken cancellationToken)
    {
        if (!NamePattern().IsMatch(name))
        {
            return new AgentResult(AgentOutcome.InvalidName, Problem: "An agent name is 1-63 lower-case letters, digits and '-', starting with a letter or digit.");
        }

        var manifest = await Manifests.ManifestService.LoadActiveAsync(_workflows, workflowId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return new AgentResult(AgentOutcome.UnknownWorkflow, Problem: $"Workflow '{workflowId}' does not exist or has no active version.");
        }

        if (manifest.Agents.All(a => a.Role != role))
        {
            return new AgentResult(AgentOutcome.UnknownRole, Problem: $"The active manifest of {workflowId} has no agent role '{role}' (roles: {string.Join(", ", manifest.Agents.Select(a => a.Role))}).");
        }

        if (PublicKey(publicJwk, out var problem) is not { } key)
        {
            return new AgentResult(AgentOutcome.InvalidKey, Problem: problem);
        }

        var now = _time.GetUtcNow();
        var clientId = ClientId(workflowId, name);
        var created = await _store.CreateAgentAsync(new NewAgent
        {
            ClientId = clientId, WorkflowId = workflowId, Name = name, Role = role, CreatedBy = actor, CreatedAt = now,
            Key = new AgentKey(key.KeyId, key.Json, now),
        }, cancellationToken).ConfigureAwait(false);
        if (!created)
        {
            return new AgentResult(AgentOutcome.NameTaken, Problem: $"Agent {clientId} already exists; rotate its key or pick another name.");
        }

        await RecordAsync(LedgerEventTypes.AgentRegistered, actor, clientId, workflowId, new JsonObject { ["role"] = role, ["key_id"] = key.KeyId }, cancellationToken).ConfigureAwait(false);
        return new AgentResult(AgentOutcome.Done, await _store.GetAgentAsync(clientId, cancellationToken).ConfigureAwait(false))
        {
            RoleScopes = manifest.Agents.First(a => a.Role == role).Scopes,
        };
    }

    /// <summary>Replaces an agent's key; the old key stops authenticating at once (tokens already issued live out their minutes).</summary>
    public async Task<AgentResult> RotateKeyAsync(string actor, string clientId, string publicJwk, CancellationToken cancellationToken)
    {
        var agent = await _store.GetAgentAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            return new AgentResult(AgentOutcome.UnknownAgent, Problem: $"No agent {clientId}.");
        }

        if (PublicKey(publicJwk, out var problem) is not { } key)
        {
            return new AgentResult(AgentOutcome.InvalidKey, Problem: problem);
        }

        if (!await _store.ReplaceAgentKeyAsync(clientId, new AgentKey(key.KeyId, key.Json, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false))
        {
            return new AgentResult(AgentOutcome.Unchanged, agent, "The agent already had this key.");
        }

        await RecordAsync(LedgerEventTypes.AgentKeyRotated, actor, clientId, agent.WorkflowId, new JsonObject { ["key_id"] = key.KeyId }, cancellationToken).ConfigureAwait(false);
        var manifest = await Manifests.ManifestService.LoadActiveAsync(_workflows, agent.WorkflowId, cancellationToken).ConfigureAwait(false);
        return new AgentResult(AgentOutcome.Done, await _store.GetAgentAsync(clientId, cancellationToken).ConfigureAwait(false))
        {
            RoleScopes = manifest?.Agents.FirstOrDefault(a => a.Role == agent.Role)?.Scopes ?? [],
        };
    }

    /// <summary>Disables (no tokens; its tokens stop working) or re-enables an agent.</summary>
    public async Task<AgentResult> SetEnabledAsync(string actor, string clientId, bool enabled, CancellationToken cancellationToken)
    {
        var agent = await _store.GetAgentAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            return new AgentResult(AgentOutcome.UnknownAgent, Problem: $"No agent {clientId}.");
        }

        var status = enabled ? AgentStatuses.Active : AgentStatuses.Disabled;
        if (!await _store.SetAgentStatusAsync(clientId, status, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return new AgentResult(AgentOutcome.Unchanged, agent, $"Agent {clientId} is already {status}.");
        }

        await RecordAsync(enabled ? LedgerEventTypes.AgentEnabled : LedgerEventTypes.AgentDisabled, actor, clientId, agent.WorkflowId, null, cancellationToken).ConfigureAwait(false);
        return new AgentResult(AgentOutcome.Done, await _store.GetAgentAsync(clientId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The agents of a workflow (or all).</summary>
    public Task<IReadOnlyList<StoredAgent>> ListAsync(string? workflowId, CancellationToken cancellationToken) => _store.ListAgentsAsync(workflowId, cancellationToken);

    private sealed record PublicKeyInfo(string KeyId, string Json);

    /// <summary>Reads a public JWK; only its public members are kept, with its RFC 7638 thumbprint as <c>kid</c>.</summary>
    private static PublicKeyInfo? PublicKey(string jwkJson, out string? problem)
    {
        problem = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(jwkJson);
        }
        catch (JsonException)
        {
            problem = "The key is not JSON (expected a public JWK).";
            return null;
        }

        using (doc)
        {
            var key = Jose.TryReadPublicKey(doc.RootElement, out var reason);
            if (key is null)
            {
                problem = "The key is refused: " + reason + ".";
                return null;
            }

            var kid = Jose.Thumbprint(key);
            var members = key.Kty == "EC"
                ? new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = key.Crv, ["x"] = key.X, ["y"] = key.Y, ["kid"] = kid }
                : new Dictionary<string, string> { ["kty"] = "RSA", ["n"] = key.N, ["e"] = key.E, ["kid"] = kid };
            return new PublicKeyInfo(kid, JsonSerializer.Serialize(members));
        }
    }

    private async Task RecordAsync(string type, string actor, string clientId, string workflowId, JsonObject? content, CancellationToken cancellationToken)
    {
        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = type,
            Actors = [LedgerActor.Human(actor)],
            WorkflowId = workflowId,
            Resource = new LedgerResource("agent", clientId),
            Outcome = "done",
            Content = content,
        }, cancellationToken).ConfigureAwait(false);
        if (_state is not null)
        {
            await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
