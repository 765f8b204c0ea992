using Skybridge.Core.Diagnostics;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Manifests;

/// <summary>
/// What the edge knows and the core cannot find out (the core does no I/O): the evidence on record and the
/// installation's limits.
/// </summary>
public sealed record ManifestValidationContext
{
    /// <summary>The highest level the workflow has passed a promotion gate for (from the store).</summary>
    public AutonomyLevel EvidencedLevel { get; init; } = AutonomyLevel.L0Draft;

    /// <summary>Probe for files, given paths relative to the manifest's folder; null skips file checks.</summary>
    public Func<string, bool>? FileExists { get; init; }

    /// <summary>Model endpoints the installation allows; null allows any.</summary>
    public IReadOnlyList<string>? AllowedModelEndpoints { get; init; }
}

/// <summary>The outcome of <see cref="ManifestLoader.Load"/>.</summary>
public sealed record ManifestLoadResult
{
    /// <summary>The manifest, or null when there is any error.</summary>
    public WorkflowManifest? Manifest { get; init; }

    /// <summary>Every problem found, errors and warnings, in file order.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; init; } = [];

    /// <summary>True when there is no error (warnings allowed).</summary>
    public bool IsValid => !Diagnostics.Any(d => d.IsError);
}

/// <summary>Content hash of a manifest, used to identify a version.</summary>
public static class ManifestHash
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 bytes of the text, exactly as given.</summary>
    public static string Compute(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return TextDigest.Sha256(yaml);
    }
}
