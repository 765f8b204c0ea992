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

    /// <summary>
    /// Probe for source folders, given paths relative to the manifest's folder; null skips the check. Given where the
    /// command reads the sources itself from beside the manifest (an evaluation), not where a node ingests them.
    /// </summary>
    public Func<string, bool>? FolderExists { get; init; }

    /// <summary>
    /// Reads a file's bytes, given a path relative to the manifest's folder (null when it cannot be read); used to
    /// check the golden set against its pinned hash. Null skips the check.
    /// </summary>
    public Func<string, byte[]?>? ReadFile { get; init; }

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

    /// <summary>Where the policy rules and actions are in the file, for checks run on the model later.</summary>
    public ManifestSourceMap SourceMap { get; init; } = new();
}

/// <summary>
/// Positions of the parts of a manifest that tools check after loading (<c>skybridge policy lint</c>), kept apart
/// from the model so two versions with the same content compare equal wherever their lines are.
/// </summary>
public sealed record ManifestSourceMap
{
    /// <summary>One entry per rule of <see cref="PolicySettings.Rules"/>, in the same order.</summary>
    public IReadOnlyList<PolicyRuleSource> Rules { get; init; } = [];

    /// <summary>Where each action is declared, by name.</summary>
    public IReadOnlyDictionary<string, SourceLocation> Actions { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>Where the golden set's path and pin are (<c>skybridge eval pin</c> writes the pin there), or null.</summary>
    public GoldenSetSource? GoldenSet { get; init; }
}

/// <summary>Where the golden set is named.</summary>
/// <param name="Path">The path's value.</param>
/// <param name="Pin">The <c>sha256</c> value, or null when the golden set is not pinned.</param>
/// <param name="InMapping">True for <c>golden_set: { path, sha256 }</c> (flow or block); false for <c>golden_set: PATH</c>.</param>
public sealed record GoldenSetSource(SourceLocation Path, SourceLocation? Pin, bool InMapping);

/// <summary>Where one policy rule and its parts are.</summary>
/// <param name="Rule">The rule's first key.</param>
/// <param name="Principals">Each entry of <c>principals</c>, parallel to <see cref="PolicyRule.Principals"/>.</param>
/// <param name="Actions">Each entry of <c>actions</c>, parallel to <see cref="PolicyRule.Actions"/>.</param>
/// <param name="Conditions">Each condition's field, parallel to <see cref="PolicyRule.When"/>.</param>
/// <param name="Approvers">The <c>approvers</c> value, or null.</param>
public sealed record PolicyRuleSource(
    SourceLocation Rule,
    IReadOnlyList<SourceLocation> Principals,
    IReadOnlyList<SourceLocation> Actions,
    IReadOnlyList<SourceLocation> Conditions,
    SourceLocation? Approvers);

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
