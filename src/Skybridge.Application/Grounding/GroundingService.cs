using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Core.Grounding;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Grounding;

/// <summary>
/// Grounding on a node: ingests declared sources into the store (every version kept, every ingestion in the ledger)
/// and keeps one BM25 index per workflow as a cache rebuilt from the store, updated only for documents that changed.
/// Cases retrieve through it (<see cref="Cases.CaseService"/>).
/// </summary>
public sealed class GroundingService : IDisposable
{
    private readonly ISourceStore _sources;
    private readonly IWorkflowStore _workflows;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly DenseRetrieval? _dense;
    private readonly ConcurrentDictionary<string, WorkflowIndex> _indexes = new(StringComparer.Ordinal);

    private sealed class WorkflowIndex(PassageIndex index, DenseRetrieval? dense)
    {
        public PassageIndex Index { get; } = index;
        public DenseRetrieval? Dense { get; } = dense;
        public long Generation { get; set; } = -1;
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    /// <summary>
    /// Grounding over the documents in <paramref name="sources"/>, by words, and by meaning as well when
    /// <paramref name="dense"/> is given.
    /// </summary>
    public GroundingService(ISourceStore sources, IWorkflowStore workflows, ILedger ledger, TimeProvider time, DenseRetrieval? dense = null)
    {
        _dense = dense;
        _sources = sources;
        _workflows = workflows;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>
    /// Reads the active manifest's sources from <paramref name="manifestFolder"/> (each source's path is relative to it)
    /// and records what changed. Files that cannot be used are listed, not fatal.
    /// </summary>
    public async Task<(IReadOnlyList<(string Source, DocumentSync Sync)> Synced, IReadOnlyList<(string Source, SkippedFile File)> Skipped)?> IngestAsync(
        string workflowId, string manifestFolder, string actor, CancellationToken cancellationToken)
    {
        var manifest = await ManifestService.LoadActiveAsync(_workflows, workflowId, cancellationToken).ConfigureAwait(false);
        if (manifest is null)
        {
            return null;
        }

        var synced = new List<(string, DocumentSync)>();
        var skipped = new List<(string, SkippedFile)>();
        var flagged = new List<(SourceDocument Document, InstructionFinding Finding)>();
        foreach (var source in manifest.Sources)
        {
            var report = DocumentReader.ReadSource(source, Path.Combine(manifestFolder, source.Path));
            var documents = report.Documents.Select(ToStored).ToList();
            var sync = await _sources.SyncSourceDocumentsAsync(workflowId, source.Name, documents, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            synced.Add((source.Name, sync));
            flagged.AddRange(report.Documents.SelectMany(d => InstructionDetector.Find(d.Text).Select(f => (Document: d, Finding: f))));
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
        // A planted instruction is the source owner's to remove: each one is named (document, version, span), with the
        // digest of its words rather than the words themselves.
        foreach (var (document, finding) in flagged)
        {
            await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.SourceInstructionFlagged,
                Actors = [LedgerActor.Human(actor)],
                WorkflowId = workflowId,
                Outcome = "flagged",
                Content = new JsonObject
                {
                    ["source"] = document.Source, ["document"] = document.Path, ["version"] = document.Version,
                    ["start"] = finding.Sentence.Start, ["end"] = finding.Sentence.End, ["kind"] = finding.Kind, ["reason"] = finding.Reason,
                    ["digest"] = TextDigest.Sha256(finding.Sentence.Of(document.Text)),
                },
            }, cancellationToken).ConfigureAwait(false);
        }

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

    /// <summary>
    /// The workflow's index, by meaning with the model its active manifest declares (<paramref name="embedding"/>; null:
    /// the node's), brought up to date with the store (only changed documents are re-indexed). A version that declares
    /// another model gets a new index: vectors of two models are never compared.
    /// </summary>
    public async Task<PassageIndex> IndexAsync(string workflowId, EmbeddingSettings? embedding, CancellationToken cancellationToken)
    {
        var dense = _dense?.For(embedding);
        // The index it replaces is not disposed here: an answer may still be reading it; the collector takes it after.
        var entry = _indexes.AddOrUpdate(workflowId, _ => new WorkflowIndex(new PassageIndex(dense), dense),
            (_, existing) => ReferenceEquals(existing.Dense, dense) ? existing : new WorkflowIndex(new PassageIndex(dense), dense));
        var generation = await _sources.GetDocumentsGenerationAsync(workflowId, cancellationToken).ConfigureAwait(false);
        // Passages left without vectors while an embedding endpoint was down get them on the first question after it
        // may be asked again, not only when a document next changes.
        var catchUp = entry.Index.VectorsIncomplete && entry.Index.MeaningUsable;
        if (generation == entry.Generation && !catchUp)
        {
            return entry.Index;
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (generation == entry.Generation && entry.Index.VectorsIncomplete && entry.Index.MeaningUsable)
            {
                await entry.Index.EmbedPendingAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (generation != entry.Generation)
            {
                var current = (await _sources.ListCurrentDocumentsAsync(workflowId, cancellationToken).ConfigureAwait(false)).Select(FromStored).ToList();
                var keys = current.Select(d => d.Source + "/" + d.Path).ToHashSet(StringComparer.Ordinal);
                entry.Index.Remove(entry.Index.Documents.Keys.Where(k => !keys.Contains(k)).ToList());
                // New passages get their vectors here, from the store when any node computed them before.
                await entry.Index.UpsertAsync(current, cancellationToken).ConfigureAwait(false);
                entry.Generation = generation;
            }
        }
        finally
        {
            entry.Gate.Release();
        }

        return entry.Index;
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
