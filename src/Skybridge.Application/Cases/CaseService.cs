using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Skybridge.Application.Grounding;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Storage;

namespace Skybridge.Application.Cases;

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
/// <param name="Outcome">What the submission gave.</param>
/// <param name="CaseId">The case's id, once drafted.</param>
/// <param name="Draft">The draft.</param>
/// <param name="Version">The workflow version that answered.</param>
/// <param name="Proposal">What the built-in responder proposed (null when the manifest names nothing for the outcome).</param>
public sealed record CaseResult(CaseOutcome Outcome, string? CaseId = null, Draft? Draft = null, int? Version = null, CaseProposal? Proposal = null);

/// <summary>
/// A case, top to bottom: the active version's snapshot, retrieval, the draft, and the stored case written in one
/// transaction with its ledger trail (retrieval, model call, draft), so that a crash leaves both or neither.
/// </summary>
public sealed class CaseService
{
    private readonly IActiveManifests _manifests;
    private readonly GroundingService _grounding;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly Func<ModelSettings, IChatClient> _engines;
    private readonly CaseResponder? _responder;
    private readonly Reviews.ReviewService? _reviews;

    /// <summary>
    /// Cases of the workflows in <paramref name="manifests"/>; <paramref name="engines"/> makes an engine for a manifest's
    /// model (default: <see cref="AnswerEngines.Create"/>); <paramref name="responder"/> proposes the manifest's
    /// responder action once a case is drafted (none without it); <paramref name="reviews"/> then samples the case into
    /// the review queue (none without it).
    /// </summary>
    public CaseService(IActiveManifests manifests, GroundingService grounding, ILedger ledger, TimeProvider time, Func<ModelSettings, IChatClient>? engines = null, CaseResponder? responder = null, Reviews.ReviewService? reviews = null)
    {
        _responder = responder;
        _reviews = reviews;
        _manifests = manifests;
        _grounding = grounding;
        _ledger = ledger;
        _time = time;
        _engines = engines ?? (m => AnswerEngines.Create(m));
    }

    /// <summary>Drafts an answer for a case without attributes, submitted by a person, and records every step.</summary>
    public Task<CaseResult> SubmitAsync(string workflowId, string text, IReadOnlyList<LedgerActor> actors, string submittedBy, bool halted, CancellationToken cancellationToken) =>
        SubmitAsync(new CaseSubmission { WorkflowId = workflowId, Text = text, Actors = actors, SubmittedBy = submittedBy }, halted, cancellationToken);

    /// <summary>
    /// Drafts an answer for a case and records every step; then the responder proposes the manifest's action for the
    /// draft (after the case is on disk: the proposal names a stored case).
    /// </summary>
    public async Task<CaseResult> SubmitAsync(CaseSubmission submission, bool halted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var (workflowId, text, actors, submittedBy) = (submission.WorkflowId, submission.Text, submission.Actors, submission.SubmittedBy);
        if (halted)
        {
            return new CaseResult(CaseOutcome.Halted);
        }

        // One snapshot decides everything below: the manifest that answers is the version the ledger names.
        if (await _manifests.GetAsync(workflowId, cancellationToken).ConfigureAwait(false) is not { } active)
        {
            return new CaseResult(CaseOutcome.UnknownWorkflow);
        }

        var index = await _grounding.IndexAsync(workflowId, active.Manifest.Retrieval.Embedding, cancellationToken).ConfigureAwait(false);
        using var engine = _engines(active.Manifest.Model);
        var draft = await new GroundedAnswerer(active.Manifest, index, engine).AnswerAsync(text, cancellationToken).ConfigureAwait(false);
        var caseId = "case-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var draftJson = DraftView.ToJson(draft, caseId).ToJsonString();

        var attributes = submission.Attributes.Count == 0
            ? null
            : new JsonObject([.. submission.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))]).ToJsonString();
        var trail = Trail(active, caseId, text, attributes, draft, draftJson, actors);
        var stored = new StoredCase(caseId, workflowId, submittedBy, text, draftJson, draft.Abstained, _time.GetUtcNow(), attributes);
        await _ledger.AppendAsync(trail, [new CaseRecordedRow(stored)], cancellationToken).ConfigureAwait(false);
        var proposal = _responder is null
            ? null
            : await _responder.ProposeAsync(active, caseId, draft, submission.Attributes, actors, submission.Agent, cancellationToken).ConfigureAwait(false);
        if (_reviews is not null)
        {
            // Last: the sample weighs what the responder proposed. Queued once per case, however often this runs.
            await _reviews.EnqueueAsync(active, caseId, text, draft, proposal, cancellationToken).ConfigureAwait(false);
        }

        return new CaseResult(CaseOutcome.Drafted, caseId, draft, active.Version, proposal);
    }

    /// <summary>
    /// The case's chain of custody: what was asked, what was retrieved, what the engine got and said, what was drafted.
    /// Inputs and outputs as hashes; passages as references.
    /// </summary>
    private static List<LedgerEntry> Trail(ActiveManifest active, string caseId, string text, string? attributes, Draft draft, string draftJson, IReadOnlyList<LedgerActor> actors)
    {
        var passages = draft.Retrieved.Select(p => $"{p.Source}/{p.Document}@{p.Version}:{p.Start}-{p.End}").ToList();
        var retrieval = new LedgerEntry
        {
            Type = LedgerEventTypes.Retrieval,
            Actors = actors,
            WorkflowId = active.WorkflowId,
            WorkflowVersion = active.Version,
            CaseId = caseId,
            Outcome = draft.Retrieved.Count + " passages",
            // Attributes are free text too (names, ticket ids): the ledger keeps their digest, the case row the values.
            InputHashes = attributes is null
                ? new Dictionary<string, string> { ["case_text"] = TextDigest.Sha256(text) }
                : new Dictionary<string, string> { ["case_text"] = TextDigest.Sha256(text), ["case_attributes"] = TextDigest.Sha256(attributes) },
            OutputHashes = new Dictionary<string, string> { ["passages"] = TextDigest.Sha256(string.Join("\n", passages)) },
            Content = new JsonObject
            {
                ["confidence"] = draft.Confidence,
                ["passages"] = new JsonArray([.. passages.Select(p => (JsonNode)p)]),
                // Which ranking found them: words only, or words and meaning with this model (a declared endpoint is
                // where the case's text went to be embedded).
                ["mode"] = draft.Retrieval,
                ["embedding_model"] = draft.EmbeddingModel,
            },
        };
        var trail = new List<LedgerEntry> { retrieval };
        if (draft.ModelInputHash is not null)
        {
            trail.Add(new LedgerEntry
            {
                Type = LedgerEventTypes.ModelCalled,
                Actors = actors,
                WorkflowId = active.WorkflowId,
                WorkflowVersion = active.Version,
                CaseId = caseId,
                Resource = new LedgerResource("engine", draft.Engine),
                Outcome = draft.ModelOutputHash is null ? "no_answer" : "answered",
                InputHashes = new Dictionary<string, string> { ["messages"] = draft.ModelInputHash },
                OutputHashes = draft.ModelOutputHash is null ? null : new Dictionary<string, string> { ["reply"] = draft.ModelOutputHash },
                Content = draft.Redacted.Count == 0 ? null : new JsonObject { ["redacted"] = new JsonArray([.. draft.Redacted.Select(k => (JsonNode)k)]) },
                Follows = [retrieval.Id],
            });
        }

        trail.Add(new LedgerEntry
        {
            Type = LedgerEventTypes.DraftCreated,
            Actors = actors,
            WorkflowId = active.WorkflowId,
            WorkflowVersion = active.Version,
            CaseId = caseId,
            Outcome = draft.Abstained ? "abstained" : "answered",
            OutputHashes = new Dictionary<string, string> { ["draft"] = TextDigest.Sha256(draftJson) },
            Content = new JsonObject
            {
                ["reason"] = draft.Reason,
                ["confidence"] = draft.Confidence,
                ["citation_coverage"] = draft.CitationCoverage,
                ["unsupported_claims"] = draft.UnsupportedClaims,
                // One code per dropped claim (why its quotes did not support it); codes only, never the claim's words.
                ["unsupported_reasons"] = new JsonArray([.. draft.UnsupportedReasons.Select(r => (JsonNode)r)]),
                // The kinds only: the words are the customer's, and the ledger keeps digests of case text, not the text.
                ["injection_attempts"] = new JsonArray([.. draft.InjectionAttempts.Select(a => a.Split(':')[0]).Distinct(StringComparer.Ordinal).Select(k => (JsonNode)k!)]),
                ["citations"] = new JsonArray([.. draft.Citations.Select(c => (JsonNode)$"{c.Source}/{c.Document}@{c.Version}:{c.Start}-{c.End}")]),
            },
            Follows = [trail[^1].Id],
        });
        return trail;
    }
}

/// <summary>A case as submitted.</summary>
public sealed record CaseSubmission
{
    /// <summary>Longest case text accepted: a ticket, not a document.</summary>
    public const int MaxTextLength = 20_000;

    /// <summary>Longest attribute value accepted.</summary>
    public const int MaxAttributeLength = 200;

    /// <summary>Most attributes a case may carry.</summary>
    public const int MaxAttributes = 20;

    /// <summary>The workflow.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The case's text.</summary>
    public required string Text { get; init; }

    /// <summary>Named values of the case (a ticket id) that the responder's templates read as <c>{case.NAME}</c>.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>Who acts, as the ledger names them.</summary>
    public required IReadOnlyList<LedgerActor> Actors { get; init; }

    /// <summary>The token's subject.</summary>
    public required string SubmittedBy { get; init; }

    /// <summary>The submitting agent, or null when a person submits (the node's responder then proposes for them).</summary>
    public CaseAgent? Agent { get; init; }

    /// <summary>The problem with a case's text (null when it is fine): not blank, at most <see cref="MaxTextLength"/> characters.</summary>
    public static string? TextProblem(string? text) =>
        string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The case text must be 1-{MaxTextLength:N0} characters{(text is { Length: > MaxTextLength } ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", not {text.Length:N0}") : "")}: a ticket, not a document.")
            : null;

    /// <summary>
    /// The problem with <paramref name="attributes"/> (null when they are fine): at most <see cref="MaxAttributes"/>,
    /// names as responder templates spell them, values 1-<see cref="MaxAttributeLength"/> characters on one line.
    /// </summary>
    public static string? AttributeProblem(IReadOnlyDictionary<string, string>? attributes)
    {
        if (attributes is null)
        {
            return null;
        }

        if (attributes.Count > MaxAttributes)
        {
            return $"A case carries at most {MaxAttributes} attributes, not {attributes.Count}.";
        }

        foreach (var (name, value) in attributes)
        {
            if (!ResponderTemplates.IsAttributeName(name))
            {
                return $"Attribute names are 1-40 lower-case letters, digits and '_', starting with a letter; '{(name.Length > 40 ? name[..40] + "..." : name)}' is not.";
            }

            if (string.IsNullOrEmpty(value) || value.Length > MaxAttributeLength || value.Any(char.IsControl))
            {
                return $"Attribute '{name}' must be 1-{MaxAttributeLength} characters on one line.";
            }
        }

        return null;
    }
}
