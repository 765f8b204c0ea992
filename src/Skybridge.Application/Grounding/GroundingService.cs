using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Grounding;

/// <summary>What a case submission gave.</summary>
public enum CaseOutcome
{
    /// <summary>A draft was made (an answer or an abstention).</summary>
    Drafted,

    /// <summary>No such workflow, or nothing of it is active.</summary>
    UnknownWorkflow,

    /// <summary>The workflow is halted: no drafts.</summary>
    Halted,
}

/// <summary>The result of a case submission.</summary>
public sealed record CaseResult(CaseOutcome Outcome, string? CaseId = null, Draft? Draft = null);

/// <summary>
/// Grounding on a node: ingests declared sources into the store (every version kept), keeps one BM25 index per
/// workflow as a cache rebuilt from the store (and updated only for documents that changed), and turns cases into
/// drafts. Every ingestion, retrieval, engine call and draft goes into the ledger, inputs and outputs as hashes.
/// </summary>
public sealed class GroundingService : IDisposable
{
    private readonly ISkybridgeStore _store;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, WorkflowIndex> _indexes = new(StringComparer.Ordinal);
    private readonly Func<ModelSettings, Microsoft.Extensions.AI.IChatClient> _engines;

    private sealed class WorkflowIndex(PassageIndex index)
    {
        public PassageIndex Index { get; } = index;
        public long Generation { get; set; } = -1;
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    /// <summary>The service over <paramref name="store"/>; <paramref name="engines"/> makes an engine for a manifest's model (default: <see cref="AnswerEngines.Create"/>).</summary>
    public GroundingService(ISkybridgeStore store, ILedger ledger, TimeProvider time, Func<ModelSettings, Microsoft.Extensions.AI.IChatClient>? engines = null)
    {
        _store = store;
        _ledger = ledger;
        _time = time;
        _engines = engines ?? (m => AnswerEngines.Create(m));
    }

    /// <summary>
    /// Reads the active manifest's sources from <paramref name="manifestFolder"/> (each source's path is relative to it)
    /// and records what changed. Files that cannot be used are listed, not fatal.
    /// </summary>
    public async Task<(IReadOnlyList<(string Source, DocumentSync Sync)> Synced, IReadOnlyList<(string Source, SkippedFile File)> Skipped)?> IngestAsync(
        string workflowId, string manifestFolder, string actor, CancellationToken cancellationToken)
    {
        var manifest = await ManifestService.LoadActiveAsync(_store, workflowId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return null;
        }

        var synced = new List<(string, DocumentSync)>();
        var skipped = new List<(string, SkippedFile)>();
        foreach (var source in manifest.Sources)
        {
            var report = DocumentReader.ReadSource(source, Path.Combine(manifestFolder, source.Path));
            var documents = report.Documents.Select(ToStored).ToList();
            var sync = await _store.SyncSourceDocumentsAsync(workflowId, source.Name, documents, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            synced.Add((source.Name, sync));
            skipped.AddRange(report.Skipped.Select(s => (source.Name, s)));
        }

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.SourcesIngested,
            Actors = [LedgerActor.Human(actor)],
            WorkflowId = workflowId,
            Outcome = "ingested",
            Content = new JsonObject
            {
                ["sources"] = new JsonArray([.. synced.Select(s => (JsonNode)new JsonObject
                {
                    ["source"] = s.Item1, ["added"] = s.Item2.Added, ["unchanged"] = s.Item2.Unchanged, ["removed"] = s.Item2.Removed,
                })]),
                ["skipped"] = new JsonArray([.. skipped.Select(s => (JsonNode)new JsonObject { ["file"] = s.Item1 + "/" + s.Item2.Path, ["reason"] = s.Item2.Reason })]),
            },
        }, cancellationToken).ConfigureAwait(false);
        return (synced, skipped);
    }

    private static StoredDocument ToStored(SourceDocument d) => new()
    {
        Source = d.Source, Path = d.Path, Version = d.Version, DocId = d.Id, Title = d.Title, Status = d.Status, SupersededBy = d.SupersededBy,
        Contradicts = string.Join(',', d.Contradicts), Classification = d.Classification, Text = d.Text,
    };

    private static SourceDocument FromStored(StoredDocument d) => new()
    {
        Source = d.Source, Path = d.Path, Version = d.Version, Id = d.DocId, Title = d.Title, Status = d.Status, SupersededBy = d.SupersededBy,
        Contradicts = d.Contradicts.Split(',', StringSplitOptions.RemoveEmptyEntries), Classification = d.Classification, Text = d.Text,
    };

    /// <summary>The workflow's index, brought up to date with the store (only changed documents are re-indexed).</summary>
    public async Task<PassageIndex> IndexAsync(string workflowId, CancellationToken cancellationToken)
    {
        var entry = _indexes.GetOrAdd(workflowId, _ => new WorkflowIndex(new PassageIndex()));
        var generation = await _store.GetDocumentsGenerationAsync(workflowId, cancellationToken).ConfigureAwait(false);
        if (generation == entry.Generation)
        {
            return entry.Index;
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (generation != entry.Generation)
            {
                var current = (await _store.ListCurrentDocumentsAsync(workflowId, cancellationToken).ConfigureAwait(false)).Select(FromStored).ToList();
                var keys = current.Select(d => d.Source + "/" + d.Path).ToHashSet(StringComparer.Ordinal);
                entry.Index.Remove(entry.Index.Documents.Keys.Where(k => !keys.Contains(k)).ToList());
                entry.Index.Upsert(current);
                entry.Generation = generation;
            }
        }
        finally
        {
            entry.Gate.Release();
        }

        return entry.Index;
    }

    /// <summary>Drafts an answer for a case and records every step.</summary>
    public async Task<CaseResult> SubmitAsync(string workflowId, string text, IReadOnlyList<LedgerActor> actors, string submittedBy, bool halted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actors);
        if (halted)
        {
            return new CaseResult(CaseOutcome.Halted);
        }

        var manifest = await ManifestService.LoadActiveAsync(_store, workflowId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return new CaseResult(CaseOutcome.UnknownWorkflow);
        }

        var index = await IndexAsync(workflowId, cancellationToken).ConfigureAwait(false);
        using var engine = _engines(manifest.Model);
        var draft = await new GroundedAnswerer(manifest, index, engine).AnswerAsync(text, cancellationToken).ConfigureAwait(false);
        var caseId = "case-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var draftJson = DraftView.ToJson(draft, caseId).ToJsonString();
        var version = (await _store.GetWorkflowAsync(workflowId, cancellationToken).ConfigureAwait(false))?.ActiveVersion;

        // The case's chain of custody: what was asked, what was retrieved, what the engine got and said, what was drafted.
        var passages = draft.Retrieved.Select(p => $"{p.Source}/{p.Document}@{p.Version}:{p.Start}-{p.End}").ToList();
        var retrieval = await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.Retrieval,
            Actors = actors,
            WorkflowId = workflowId,
            WorkflowVersion = version,
            CaseId = caseId,
            Outcome = draft.Retrieved.Count + " passages",
            InputHashes = new Dictionary<string, string> { ["case_text"] = TextDigest.Sha256(text) },
            OutputHashes = new Dictionary<string, string> { ["passages"] = TextDigest.Sha256(string.Join("\n", passages)) },
            Content = new JsonObject
            {
                ["confidence"] = draft.Confidence,
                ["passages"] = new JsonArray([.. passages.Select(p => (JsonNode)p)]),
            },
        }, cancellationToken).ConfigureAwait(false);
        var follows = new List<string> { retrieval.Id };
        if (draft.ModelInputHash is not null)
        {
            var call = await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.ModelCalled,
                Actors = actors,
                WorkflowId = workflowId,
                WorkflowVersion = version,
                CaseId = caseId,
                Resource = new LedgerResource("engine", draft.Engine),
                Outcome = draft.ModelOutputHash is null ? "no_answer" : "answered",
                InputHashes = new Dictionary<string, string> { ["messages"] = draft.ModelInputHash },
                OutputHashes = draft.ModelOutputHash is null ? null : new Dictionary<string, string> { ["reply"] = draft.ModelOutputHash },
                Content = draft.Redacted.Count == 0 ? null : new JsonObject { ["redacted"] = new JsonArray([.. draft.Redacted.Select(k => (JsonNode)k)]) },
                Follows = follows,
            }, cancellationToken).ConfigureAwait(false);
            follows = [call.Id];
        }

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.DraftCreated,
            Actors = actors,
            WorkflowId = workflowId,
            WorkflowVersion = version,
            CaseId = caseId,
            Outcome = draft.Abstained ? "abstained" : "answered",
            OutputHashes = new Dictionary<string, string> { ["draft"] = TextDigest.Sha256(draftJson) },
            Content = new JsonObject
            {
                ["reason"] = draft.Reason,
                ["confidence"] = draft.Confidence,
                ["citation_coverage"] = draft.CitationCoverage,
                ["unsupported_claims"] = draft.UnsupportedClaims,
                ["citations"] = new JsonArray([.. draft.Citations.Select(c => (JsonNode)$"{c.Source}/{c.Document}@{c.Version}:{c.Start}-{c.End}")]),
            },
            Follows = follows,
        }, cancellationToken).ConfigureAwait(false);
        await _store.SaveCaseAsync(new StoredCase(caseId, workflowId, submittedBy, text, draftJson, draft.Abstained, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return new CaseResult(CaseOutcome.Drafted, caseId, draft);
    }


    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _indexes.Values)
        {
            entry.Index.Dispose();
            entry.Gate.Dispose();
        }
    }
}
