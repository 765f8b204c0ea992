using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Manifests;

/// <summary>
/// A workflow's active version and the manifest of exactly that version. Whatever a case does is decided by one of
/// these, and the version it records is the one it used, even when another version is activated meanwhile.
/// </summary>
public sealed record ActiveManifest(string WorkflowId, int Version, WorkflowManifest Manifest);

/// <summary>Where a use case gets the active manifest from: the node's in-memory state, or the store (the CLI).</summary>
public interface IActiveManifests
{
    /// <summary>The active version with its manifest, or null (unknown workflow, nothing active).</summary>
    ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken);
}

/// <summary>Reads the active manifest from the store each time (the CLI, which holds no state between commands).</summary>
public sealed class StoredActiveManifests : IActiveManifests
{
    private readonly IWorkflowStore _store;

    /// <summary>Active manifests of <paramref name="store"/>.</summary>
    public StoredActiveManifests(IWorkflowStore store) => _store = store;

    /// <inheritdoc />
    public async ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken)
    {
        // One read of the version number, then that version's YAML: the pair cannot mix two versions.
        var workflow = await _store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (workflow?.ActiveVersion is not { } version)
        {
            return null;
        }

        var stored = await _store.GetVersionAsync(workflowId, version, cancellationToken).ConfigureAwait(false);
        return stored is not null && ManifestService.LoadPublished(stored.Yaml) is { } manifest
            ? new ActiveManifest(workflowId, version, manifest)
            : null;
    }
}
