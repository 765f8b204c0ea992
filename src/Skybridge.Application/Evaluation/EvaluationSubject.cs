using System.Security.Cryptography;
using System.Text;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Documents;
using Skybridge.Storage;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// What an evaluation runs: a valid manifest, its golden set (hash checked against the manifest's pin), and the
/// documents its answers are grounded in.
/// </summary>
public sealed record EvaluationSubject
{
    /// <summary>The manifest.</summary>
    public required WorkflowManifest Manifest { get; init; }

    /// <summary>Lower-case hex SHA-256 of the manifest's text.</summary>
    public required string ManifestHash { get; init; }

    /// <summary>The workflow the manifest is for.</summary>
    public string WorkflowId => Manifest.Id;

    /// <summary>The stored version, or null for a manifest file.</summary>
    public int? Version { get; init; }

    /// <summary>The golden set.</summary>
    public required GoldenSet GoldenSet { get; init; }

    /// <summary>Where the golden set was read from (for messages).</summary>
    public required string GoldenSetFile { get; init; }

    /// <summary>The documents of the manifest's sources, as live cases see them.</summary>
    public required IReadOnlyList<SourceDocument> Documents { get; init; }

    /// <summary>Source files that could not be read, with the source's name.</summary>
    public IReadOnlyList<(string Source, SkippedFile File)> Skipped { get; init; } = [];
}

/// <summary>A subject ready to run, or every problem that stops it (the run does not start).</summary>
/// <param name="Subject">The subject, when there are no problems.</param>
/// <param name="Problems">Each problem as <c>file:line:column: error CODE: message</c>.</param>
/// <param name="Warnings">Warnings, shown but not blocking.</param>
public sealed record EvaluationPreparation(EvaluationSubject? Subject, IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings);

/// <summary>Builds an <see cref="EvaluationSubject"/> from a manifest file or a stored manifest version.</summary>
public static class EvaluationSubjects
{
    /// <summary>
    /// A manifest file, its golden set beside it (as the manifest's <c>golden_set</c> names it) and its sources read from
    /// disk, like <c>skybridge ask MANIFEST</c>. A manifest or golden set with errors, or a pin that does not match, is a problem.
    /// </summary>
    public static Task<EvaluationPreparation> FromManifestFileAsync(string manifestPath, CancellationToken cancellationToken) =>
        FromManifestFileAsync(manifestPath, unpinnedChanges: false, cancellationToken);

    /// <summary>
    /// As <see cref="FromManifestFileAsync(string, CancellationToken)"/>; with <paramref name="unpinnedChanges"/> a golden
    /// set that differs from the manifest's pin (SB1155) is a warning, not a problem: what <c>skybridge eval check</c>
    /// reads, since a golden set is checked after it is edited and before it is pinned again. Never for a run.
    /// </summary>
    public static async Task<EvaluationPreparation> FromManifestFileAsync(string manifestPath, bool unpinnedChanges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        if (!File.Exists(manifestPath))
        {
            return Refused($"{manifestPath}: error: the manifest file does not exist.");
        }

        var full = Path.GetFullPath(manifestPath);
        // Read as `manifest publish` reads it (a byte-order mark dropped), so that the run's manifest hash is the hash
        // the published version gets, and the activation gate can match the two.
        var text = await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false);
        return FromManifestText(text, manifestPath, Path.GetDirectoryName(full)!, unpinnedChanges);
    }

    /// <summary>
    /// A manifest's text as it will be (or was) published, read against the folder its paths are relative to: its
    /// golden set and sources come from that folder. The run's manifest hash is the published version's.
    /// </summary>
    public static EvaluationPreparation FromManifestText(string text, string manifestName, string folder) =>
        FromManifestText(text, manifestName, folder, unpinnedChanges: false);

    private static EvaluationPreparation FromManifestText(string text, string manifestName, string folder, bool unpinnedChanges)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prepared = Prepare(text, ManifestHash.Compute(text), manifestName, folder, null, onDisk: true, unpinnedChanges);
        if (prepared.Subject is not { } subject)
        {
            return prepared;
        }

        var documents = new List<SourceDocument>();
        var skipped = new List<(string, SkippedFile)>();
        foreach (var source in subject.Manifest.Sources)
        {
            var report = DocumentReader.ReadSource(source, Path.Combine(folder, source.Path));
            documents.AddRange(report.Documents);
            skipped.AddRange(report.Skipped.Select(s => (source.Name, s)));
        }

        return prepared with { Subject = subject with { Documents = documents, Skipped = skipped } };
    }

    /// <summary>
    /// A stored manifest version (the active one when <paramref name="version"/> is null) with the documents ingested for
    /// its workflow. The golden set is read from <paramref name="goldenSetPath"/>, else from the manifest's
    /// <c>golden_set</c> path under <paramref name="folder"/>; its bytes must match the version's pin when it has one.
    /// </summary>
    public static async Task<EvaluationPreparation> FromStoredVersionAsync(IWorkflowStore workflows, ISourceStore sources, string workflowId, int? version,
        string? goldenSetPath, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        ArgumentNullException.ThrowIfNull(sources);
        var number = version;
        if (number is null)
        {
            var summary = await workflows.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false);
            if (summary is null)
            {
                return Refused($"{workflowId}: error: no workflow with this id is published.");
            }

            number = summary.ActiveVersion;
            if (number is null)
            {
                return Refused($"{workflowId}: error: the workflow has no active version; name one with --version.");
            }
        }

        var stored = await workflows.GetVersionAsync(workflowId, number.Value, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return Refused($"{workflowId}: error: version {number} is not published.");
        }

        var text = stored.Yaml;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var prepared = Prepare(text, hash, $"{workflowId}@v{number}", folder, goldenSetPath, onDisk: false);
        if (prepared.Subject is not { } subject)
        {
            return prepared;
        }

        var documents = (await sources.ListCurrentDocumentsAsync(workflowId, cancellationToken).ConfigureAwait(false)).Select(d => new SourceDocument
        {
            Source = d.Source, Path = d.Path, Version = d.Version, Id = d.DocId, Title = d.Title, Status = d.Status, SupersededBy = d.SupersededBy,
            Contradicts = d.Contradicts.Split(',', StringSplitOptions.RemoveEmptyEntries), Classification = d.Classification, Text = d.Text,
        }).ToList();
        return prepared with { Subject = subject with { Version = number, Documents = documents } };
    }

    private static EvaluationPreparation Prepare(string manifestText, string manifestHash, string manifestName, string folder, string? goldenSetPath, bool onDisk,
        bool unpinnedChanges = false)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        var loaded = ManifestLoader.Load(manifestText, manifestName, new ManifestValidationContext
        {
            // A stored version's files were checked when it was published; its documents come from the store.
            FileExists = onDisk ? p => File.Exists(Path.Combine(folder, p)) : null,
            // The sources are read from beside the manifest: a folder that is not there (a sample whose setup script was
            // not run) would be measured as answers without it, and a stored run would be evidence of the wrong thing.
            FolderExists = onDisk ? p => Directory.Exists(Path.Combine(folder, p)) : null,
            // The pin is checked against the bytes on disk: a golden set that changed under its bar is refused (SB1155),
            // unless it is only checked against its sources (below).
            ReadFile = onDisk && !unpinnedChanges ? p => File.Exists(Path.Combine(folder, p)) ? File.ReadAllBytes(Path.Combine(folder, p)) : null : null,
            EvidencedLevel = AutonomyLevel.L2ApproveConsequential,
        });
        Collect(loaded.Diagnostics, problems, warnings);
        if (loaded.Manifest is not { } manifest || problems.Count > 0)
        {
            return new EvaluationPreparation(null, problems, warnings);
        }

        var goldenFile = goldenSetPath ?? (manifest.GoldenSet is { } g ? Path.Combine(folder, g) : null);
        if (goldenFile is null)
        {
            return new EvaluationPreparation(null, [$"{manifestName}: error: the manifest names no golden_set, so there is nothing to evaluate against."], warnings);
        }

        if (!File.Exists(goldenFile))
        {
            return new EvaluationPreparation(null, [$"{goldenFile}: error: the golden set file does not exist."], warnings);
        }

        var bytes = File.ReadAllBytes(goldenFile);
        var golden = GoldenSetLoader.Load(bytes, goldenSetPath ?? manifest.GoldenSet!);
        Collect(golden.Diagnostics, problems, warnings);
        if (golden.GoldenSet is not { } set || problems.Count > 0)
        {
            return new EvaluationPreparation(null, problems, warnings);
        }

        if (manifest.GoldenSetSha256 is { } stale && !string.Equals(stale, set.Sha256, StringComparison.OrdinalIgnoreCase) && unpinnedChanges)
        {
            warnings.Add($"{goldenFile}: warning {DiagnosticCodes.GoldenSetHashMismatch}: the golden set's SHA-256 is {set.Sha256}, but the manifest pins {stale}: checked as it is now; pin it once its cases are reviewed (skybridge eval pin).");
        }
        else if (manifest.GoldenSetSha256 is { } pin && !string.Equals(pin, set.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            // A golden set given with --golden-set is not the file the parser checked: the pin must still hold.
            return new EvaluationPreparation(null,
                [$"{goldenFile}: error {DiagnosticCodes.GoldenSetHashMismatch}: the golden set's SHA-256 is {set.Sha256}, but the manifest pins {pin}."], warnings);
        }

        return new EvaluationPreparation(new EvaluationSubject
        {
            Manifest = manifest, ManifestHash = manifestHash, GoldenSet = set, GoldenSetFile = goldenFile, Documents = [],
        }, problems, warnings);
    }

    private static void Collect(IReadOnlyList<Diagnostic> diagnostics, List<string> problems, List<string> warnings)
    {
        foreach (var d in diagnostics)
        {
            (d.IsError ? problems : warnings).Add(d.ToString());
        }
    }

    private static EvaluationPreparation Refused(string problem) => new(null, [problem], []);
}
