using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Skybridge.Core.Grounding;
using Skybridge.Core.Ledger;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Answering;

/// <summary>A verified citation of a draft: the document (path under its source folder), its version and the exact quoted span.</summary>
public sealed record DraftCitation(string Source, string Document, string Title, string Version, int Start, int End, string Quote);

/// <summary>One claim of the answer with the citations that hold.</summary>
public sealed record DraftClaim(string Text, IReadOnlyList<DraftCitation> Citations);

/// <summary>A passage that was retrieved for the case, for the record.</summary>
public sealed record DraftPassage(string Source, string Document, string Version, int Start, int End, double Score, double Coverage);

/// <summary>
/// What the system proposes for a case: an answer whose every claim cites an exact passage, or an abstention with
/// its reason (abstaining correctly is a success: the case goes to a person).
/// </summary>
public sealed record Draft
{
    /// <summary>The answer text: the verified claims; empty when abstaining.</summary>
    public required string Answer { get; init; }

    /// <summary>True when the system does not answer.</summary>
    public required bool Abstained { get; init; }

    /// <summary>Why it abstained (<c>low_retrieval_confidence</c>, <c>conflicting_sources</c>, <c>no_supported_claim</c>, <c>no_sources</c>, <c>engine_error</c>), or null.</summary>
    public string? Reason { get; init; }

    /// <summary>The reason in words, for the person the case goes to.</summary>
    public string? ReasonDetail { get; init; }

    /// <summary>The claims that kept at least one verified citation.</summary>
    public required IReadOnlyList<DraftClaim> Claims { get; init; }

    /// <summary>Every verified citation, in claim order.</summary>
    public IReadOnlyList<DraftCitation> Citations => [.. Claims.SelectMany(c => c.Citations)];

    /// <summary>Retrieval confidence: the IDF-weighted share of the case's terms the best passage covers, 0..1.</summary>
    public required double Confidence { get; init; }

    /// <summary>Share of the engine's claims that had a verified citation.</summary>
    public required double CitationCoverage { get; init; }

    /// <summary>Claims the engine made that no citation supported (dropped from the answer).</summary>
    public int UnsupportedClaims { get; init; }

    /// <summary>What retrieval returned.</summary>
    public required IReadOnlyList<DraftPassage> Retrieved { get; init; }

    /// <summary>The engine that answered.</summary>
    public required string Engine { get; init; }

    /// <summary>SHA-256 of the exact messages sent to the engine (after redaction), or null when it was not called.</summary>
    public string? ModelInputHash { get; init; }

    /// <summary>SHA-256 of the engine's raw reply, or null.</summary>
    public string? ModelOutputHash { get; init; }

    /// <summary>Kinds of personal data redacted before the engine saw the text.</summary>
    public IReadOnlyList<string> Redacted { get; init; } = [];

    /// <summary>How passages were retrieved: <c>fused</c> (words and meaning) or <c>words</c> (BM25 only; see <see cref="RetrievalModes"/>).</summary>
    public string Retrieval { get; init; } = RetrievalModes.Words;
}

/// <summary>
/// The grounded-answer pipeline: retrieve (BM25), decide whether the sources can answer (confidence, outdated and
/// conflicting sources), ask the engine with the passages as data, verify every citation mechanically against the
/// stored text, drop what is not supported, and abstain when nothing holds. Thresholds come from the manifest.
/// Personal data is redacted before text leaves for an external engine.
/// </summary>
public sealed partial class GroundedAnswerer
{
    private readonly PassageIndex _index;
    private readonly IChatClient _engine;
    private readonly WorkflowManifest _manifest;
    private readonly string _engineName;
    private readonly PersonalDataRedactor? _redactor;

    /// <summary>An answerer for <paramref name="manifest"/> over <paramref name="index"/>, asking <paramref name="engine"/>.</summary>
    public GroundedAnswerer(WorkflowManifest manifest, PassageIndex index, IChatClient engine)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _manifest = manifest;
        _index = index;
        _engine = engine;
        _engineName = AnswerEngines.NameOf(manifest.Model);
        // Text leaves the process only for an external engine; that is where redaction applies.
        _redactor = manifest.Model.Provider != ModelProvider.BuiltinExtractive && (manifest.Model.Redact.Count > 0 || manifest.Model.RedactPatterns.Count > 0)
            ? new PersonalDataRedactor(manifest.Model.Redact.Where(PersonalDataRedactor.BuiltInKinds.Contains), manifest.Model.RedactPatterns)
            : null;
    }

    /// <summary>Drafts an answer for a case.</summary>
    public async Task<Draft> AnswerAsync(string caseText, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caseText);
        var settings = _manifest.Retrieval;
        // Personal data never helps find a help-centre page; left in, an e-mail address or IBAN only dilutes the query.
        var query = PlaceholderPattern().Replace(QueryRedactor.Redact(caseText).Text, " ");
        var hits = _index.Search(query, Math.Max(1, settings.TopK));
        var retrieved = hits.Select(h => new DraftPassage(h.Document.Source, h.Document.Path, h.Document.Version, h.Span.Start, h.Span.End, h.Score, Math.Round(h.Coverage, 4))).ToList();
        var confidence = hits.Count == 0 ? 0 : Math.Round(hits.Max(h => h.Coverage), 4);
        Draft Abstain(string reason, string detail, string? input = null, string? output = null, int unsupported = 0) => new()
        {
            Answer = "", Abstained = true, Reason = reason, ReasonDetail = detail, Claims = [], Confidence = confidence, CitationCoverage = 0,
            UnsupportedClaims = unsupported, Retrieved = retrieved, Engine = _engineName, ModelInputHash = input, ModelOutputHash = output,
            Retrieval = _index.Mode,
        };

        if (_index.PassageCount == 0)
        {
            return Abstain("no_sources", "Nothing is ingested from the workflow's sources.");
        }

        var usable = hits.Where(h => h.Coverage >= settings.MinScore).ToList();
        if (usable.Count == 0 || confidence < settings.AbstainBelow)
        {
            return Abstain("low_retrieval_confidence", $"The best passage covers {confidence:0.00} of the question; the manifest asks for at least {settings.AbstainBelow:0.00}.");
        }

        // Sources marked as contradicting each other both answering: a person decides which one is right.
        var top = usable.Where(h => h.Coverage >= confidence * 0.6).Select(h => h.Document).DistinctBy(d => d.Id).ToList();
        foreach (var a in top)
        {
            if (top.FirstOrDefault(b => b.Id != a.Id && (a.Contradicts.Contains(b.Id) || b.Contradicts.Contains(a.Id))) is { } b)
            {
                return Abstain("conflicting_sources", $"'{a.Title}' ({a.Path}) and '{b.Title}' ({b.Path}) contradict each other on this.");
            }
        }

        var passages = usable.Select((h, i) => (Id: "P" + (i + 1), Hit: h)).ToList();
        var redactions = new List<Redaction>();
        string Redact(string text)
        {
            if (_redactor is null)
            {
                return text;
            }

            var redacted = _redactor.Redact(text);
            redactions.AddRange(redacted.Redactions);
            return redacted.Text;
        }

        var request = new AnswerRequest(Redact(caseText), [.. passages.Select(p => new PromptPassage(p.Id, p.Hit.Document.Path, p.Hit.Document.Title, Redact(p.Hit.Text)))]);
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, (_manifest.Prompts?.System ?? "") + "\n\n" + AnswerProtocol.Instructions),
            new(ChatRole.User, JsonSerializer.Serialize(request, AnswerProtocol.Json)),
        };
        var inputHash = TextDigest.Sha256(string.Join("\n", messages.Select(m => m.Role + ":" + m.Text)));

        string? reply;
        try
        {
            var response = await _engine.GetResponseAsync(messages, new ChatOptions { ResponseFormat = AnswerEngines.AnswerFormat, Temperature = 0 }, cancellationToken).ConfigureAwait(false);
            reply = response.Text;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.ClientModel.ClientResultException or TaskCanceledException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return Abstain("engine_error", "The answer engine did not answer: " + ex.GetType().Name, inputHash);
        }

        var outputHash = reply is null ? null : TextDigest.Sha256(reply);
        var answer = AnswerProtocol.Parse(reply);
        if (answer is null)
        {
            return Abstain("engine_error", "The answer engine's reply was not the structured answer asked for.", inputHash, outputHash);
        }

        // Every citation is checked against the stored text of the exact version retrieved: nothing from the engine is trusted.
        var byId = passages.ToDictionary(p => p.Id, p => p.Hit, StringComparer.Ordinal);
        var claims = new List<DraftClaim>();
        foreach (var claim in answer.Claims)
        {
            var verified = new List<DraftCitation>();
            foreach (var cited in claim.Citations ?? [])
            {
                if (!byId.TryGetValue(cited.Passage ?? "", out var hit))
                {
                    continue;
                }

                var quote = Restore(cited.Quote ?? "", redactions);
                var check = CitationVerifier.Verify(
                    new Citation(hit.Document.Path, hit.Document.Version, hit.Span.Start, hit.Span.End, quote),
                    (path, version) => path == hit.Document.Path && version == hit.Document.Version ? hit.Document.Text : null,
                    path => path == hit.Document.Path);
                if (check.IsVerified)
                {
                    verified.Add(new DraftCitation(hit.Document.Source, hit.Document.Path, hit.Document.Title, hit.Document.Version,
                        check.QuoteStart, check.QuoteEnd, hit.Document.Text[check.QuoteStart..check.QuoteEnd]));
                }
            }

            if (verified.Count > 0)
            {
                claims.Add(new DraftClaim(Restore(claim.Text ?? "", redactions), verified));
            }
        }

        var unsupported = answer.Claims.Count - claims.Count;
        if (claims.Count == 0)
        {
            return Abstain("no_supported_claim", answer.Claims.Count == 0
                ? "The engine found no answer in the passages."
                : $"None of the engine's {answer.Claims.Count} claims had a citation that checks out.", inputHash, outputHash, unsupported);
        }

        return new Draft
        {
            Answer = string.Join(" ", claims.Select(c => c.Text.Trim())),
            Abstained = false,
            Claims = claims,
            Confidence = confidence,
            CitationCoverage = Math.Round(claims.Count / (double)answer.Claims.Count, 4),
            UnsupportedClaims = unsupported,
            Retrieved = retrieved,
            Engine = _engineName,
            ModelInputHash = inputHash,
            ModelOutputHash = outputHash,
            Redacted = [.. redactions.Select(r => r.Kind).Distinct()],
            Retrieval = _index.Mode,
        };
    }

    /// <summary>Placeholders the engine repeated are put back, so a quote can be checked against the real text.</summary>
    private static string Restore(string text, List<Redaction> redactions)
    {
        foreach (var r in redactions)
        {
            text = text.Replace(r.Placeholder, r.Value, StringComparison.Ordinal);
        }

        return text;
    }

    private static readonly PersonalDataRedactor QueryRedactor = new(PersonalDataRedactor.BuiltInKinds);

    [System.Text.RegularExpressions.GeneratedRegex(@"\[[A-Z_]+_[0-9]+\]")]
    private static partial System.Text.RegularExpressions.Regex PlaceholderPattern();

}
