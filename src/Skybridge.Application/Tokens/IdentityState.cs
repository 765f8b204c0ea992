using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skybridge.Core.Manifests;
using Skybridge.Application;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens;

/// <summary>
/// What every token check needs to know, held in memory so that checks never wait on the database: registered agents
/// and their keys and status, halted workflows, revoked token ids, the moments before which an agent's or a workflow's
/// tokens are void, and each workflow's active agent roles. A change
/// made on this node applies here at once; changes from other nodes arrive within a second (the refresh period).
/// </summary>
public sealed class IdentityState : Manifests.IActiveManifests
{
    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;
    private readonly SkybridgeNodeOptions _options;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Snapshot _snapshot = new(
        new Dictionary<string, StoredAgent>(), new Dictionary<string, WorkflowHalt>(), new HashSet<string>(), new Dictionary<string, (int, WorkflowManifest?)>(),
        new Dictionary<(string, string), DateTimeOffset>());

    private sealed record Snapshot(
        IReadOnlyDictionary<string, StoredAgent> Agents,
        IReadOnlyDictionary<string, WorkflowHalt> Halts,
        IReadOnlySet<string> Revoked,
        IReadOnlyDictionary<string, (int Version, WorkflowManifest? Manifest)> Manifests,
        IReadOnlyDictionary<(string Kind, string Id), DateTimeOffset> Cutoffs);

    /// <summary>State over <paramref name="store"/>.</summary>
    public IdentityState(ISkybridgeStore store, TimeProvider time, SkybridgeNodeOptions options)
    {
        _store = store;
        _time = time;
        _options = options;
    }

    /// <summary>The registered agent with this client id, or null.</summary>
    public StoredAgent? Agent(string clientId) => _snapshot.Agents.GetValueOrDefault(clientId);

    /// <summary>The halt of a workflow, or null when it runs.</summary>
    public WorkflowHalt? Halt(string workflowId) => _snapshot.Halts.GetValueOrDefault(workflowId);

    /// <summary>True when the token with this id was revoked.</summary>
    public bool IsRevoked(string tokenId) => _snapshot.Revoked.Contains(tokenId);

    /// <summary>
    /// Tokens of this agent or workflow (<see cref="TokenCutoffKinds"/>) issued before the returned moment are void;
    /// null when none are.
    /// </summary>
    public DateTimeOffset? TokensVoidBefore(string kind, string id) =>
        _snapshot.Cutoffs.TryGetValue((kind, id), out var at) ? at : null;

    /// <summary>The role as the workflow's active manifest declares it, or null (no such role, or nothing active).</summary>
    public AgentRole? Role(string workflowId, string role) =>
        _snapshot.Manifests.TryGetValue(workflowId, out var active) ? active.Manifest?.Agents.FirstOrDefault(a => a.Role == role) : null;

    /// <summary>The active version of a workflow and its manifest, taken from one snapshot so they always belong together.</summary>
    public Manifests.ActiveManifest? Active(string workflowId) =>
        _snapshot.Manifests.TryGetValue(workflowId, out var active) && active.Manifest is { } manifest
            ? new Manifests.ActiveManifest(workflowId, active.Version, manifest)
            : null;

    /// <inheritdoc />
    ValueTask<Manifests.ActiveManifest?> Manifests.IActiveManifests.GetAsync(string workflowId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Active(workflowId));

    /// <summary>Every workflow with an active manifest, with it.</summary>
    public IEnumerable<(string WorkflowId, WorkflowManifest Manifest)> ActiveManifests =>
        _snapshot.Manifests.Where(m => m.Value.Manifest is not null).Select(m => (m.Key, m.Value.Manifest!));

    /// <summary>Reloads everything from the store. Called every second, and right after a change made on this node.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            // The reads are separate statements, so a change can commit between two of them. The cutoffs come first:
            // a halt or a disable commits its cutoff in the same transaction, so whatever cutoff is read here, its halt
            // or disable is seen by the reads after it. Read the other way round, a snapshot could hold the cutoff (old
            // tokens refused as "halted") without the halt, and the token endpoint would issue new tokens for the
            // halted workflow (or the disabled agent) until the next refresh. A halt read without its cutoff is safe:
            // the halt alone refuses every token and every grant.
            var cutoffs = await _store.ListTokenCutoffsAsync(cancellationToken).ConfigureAwait(false);
            var agents = await _store.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false);
            var halts = await _store.ListHaltsAsync(cancellationToken).ConfigureAwait(false);
            var revoked = await _store.ListRevokedTokensAsync(now - _options.Identity.ClockSkew, cancellationToken).ConfigureAwait(false);
            var workflows = await _store.ListWorkflowsAsync(cancellationToken).ConfigureAwait(false);
            var manifests = new Dictionary<string, (int, WorkflowManifest?)>(StringComparer.Ordinal);
            var previous = _snapshot.Manifests;
            foreach (var workflow in workflows.Where(w => w.ActiveVersion is not null))
            {
                var version = workflow.ActiveVersion!.Value;
                if (previous.TryGetValue(workflow.Id, out var known) && known.Version == version)
                {
                    manifests[workflow.Id] = known;
                    continue;
                }

                var stored = await _store.GetVersionAsync(workflow.Id, version, cancellationToken).ConfigureAwait(false);
                var loaded = stored is null ? null : Manifests.ManifestService.LoadPublished(stored.Yaml);
                manifests[workflow.Id] = (version, loaded);
            }

            _snapshot = new Snapshot(
                agents.ToDictionary(a => a.ClientId, StringComparer.Ordinal),
                halts.ToDictionary(h => h.WorkflowId, StringComparer.Ordinal),
                revoked.Select(r => r.TokenId).ToHashSet(StringComparer.Ordinal),
                manifests,
                cutoffs.ToDictionary(c => (c.Kind, c.Id), c => c.NotBefore));
        }
        finally
        {
            _refreshing.Release();
        }
    }
}

/// <summary>Loads keys and state before the node serves, then keeps them fresh: state every second, keys every 30 seconds.</summary>
internal sealed partial class IdentityRefresher : BackgroundService
{
    private readonly IdentityState _state;
    private readonly TokenSigningKeys _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<IdentityRefresher> _logger;

    public IdentityRefresher(IdentityState state, TokenSigningKeys keys, TimeProvider time, ILogger<IdentityRefresher> logger)
    {
        _state = state;
        _keys = keys;
        _time = time;
        _logger = logger;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the node listens: a request must never meet an empty key set or state.
        await _keys.StartAsync(cancellationToken).ConfigureAwait(false);
        await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Twice a second: a halt, disable or revocation on another node must bite here within one second, and a tick
        // that read the store just before the change is followed by one that sees it.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        var tick = 0L;
        while (await NextTickAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await _state.RefreshAsync(stoppingToken).ConfigureAwait(false);
                if (++tick % 60 == 0)
                {
                    await _keys.RotateIfDueAsync(stoppingToken).ConfigureAwait(false);
                    await _keys.RefreshAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is StoreUnavailableException or System.Data.Common.DbException)
            {
                // Keep serving on the last known state; say so, once per failure.
                LogRefreshFailed(_logger, ex.Message);
            }
        }
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false; // the node is stopping
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Identity state refresh failed; serving the last known state: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
