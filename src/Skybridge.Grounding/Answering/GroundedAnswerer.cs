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
/// A question of a multi-question case the answer leaves to a person, and why: <paramref name="Reason"/> is a code of
/// <see cref="Draft.Reason"/> (<c>low_retrieval_confidence</c>, <c>meaning_far</c>, <c>key_terms_missing</c>,
/// <c>focus_missing</c>, <c>conflicting_sources</c>, or <c>no_supported_claim</c> when no quoted sentence answers it),
/// <paramref name="Detail"/> says it in words ("I can't answer '...' from the sources: ...").
/// </summary>
public sealed record DraftHandOver(string Question, string Reason, string Detail);

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

    /// <summary>
    /// Why it abstained (<c>no_sources</c>, <c>instruction_in_case</c>, <c>other_language</c>, <c>key_terms_missing</c>,
    /// <c>focus_missing</c>, <c>opinion</c>, <c>private_data</c>, <c>other_product_or_version</c>, <c>low_retrieval_confidence</c>,
    /// <c>meaning_far</c>, <c>conflicting_sources</c>,
    /// <c>engine_error</c>, <c>no_supported_claim</c>), or null.
    /// </summary>
    public string? Reason { get; init; }

    /// <summary>The reason in words, for the person the case goes to.</summary>
    public string? ReasonDetail { get; init; }

    /// <summary>The claims that kept at least one verified citation.</summary>
    public required IReadOnlyList<DraftClaim> Claims { get; init; }

    /// <summary>Every verified citation, in claim order.</summary>
    public IReadOnlyList<DraftCitation> Citations => [.. Claims.SelectMany(c => c.Citations)];

    /// <summary>Retrieval confidence: the weighted share of the case's terms the best passage covers (question sentences fully, the narrative around them less; docs/grounding.md), 0..1.</summary>
    public required double Confidence { get; init; }

    /// <summary>Share of the engine's claims that had a verified citation.</summary>
    public required double CitationCoverage { get; init; }

    /// <summary>Claims the engine made that no citation supported (dropped from the answer).</summary>
    public int UnsupportedClaims { get; init; }

    /// <summary>
    /// Why each dropped claim was dropped, in the engine's order, one code of <see cref="ClaimSupportReasons"/> per
    /// claim (no text): no citation checked out, or the quotes are real but do not say what the claim says.
    /// </summary>
    public IReadOnlyList<string> UnsupportedReasons { get; init; } = [];

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

    /// <summary>
    /// Words of the case that address the assistant (ignore the rules, change role, reveal instructions, pose as the
    /// system, skip approval), each as <c>kind: "words"</c>: an attempt to steer the system, recorded, never obeyed.
    /// </summary>
    public IReadOnlyList<string> InjectionAttempts { get; init; } = [];

    /// <summary>
    /// How many questions the case was read as (1 until it is read). A case of several that fails the evidence gates as
    /// a whole is judged question by question, so what it gets depends on each question's evidence, not only the case's.
    /// </summary>
    public int Questions { get; init; } = 1;

    /// <summary>Questions of the case the answer does not cover: they are handed to a person.</summary>
    public IReadOnlyList<string> HandedOver { get; init; } = [];

    /// <summary>Each question of <see cref="HandedOver"/> with the reason it is handed over, in the same order.</summary>
    public IReadOnlyList<DraftHandOver> HandOvers { get; init; } = [];

    /// <summary>
    /// With retrieval by meaning, the best passage's similarity to the question when BM25 and meaning rank the same page
    /// first; null when they disagree or retrieval was by words only. At or above <c>retrieval.agreed_meaning_at</c> it
    /// passes the confidence gate below <c>abstain_below</c> (what calibration replays).
    /// </summary>
    public double? AgreedSimilarity { get; init; }

    /// <summary>How passages were retrieved: <c>fused</c> (words and meaning) or <c>words</c> (BM25 only; see <see cref="RetrievalModes"/>).</summary>
    public string Retrieval { get; init; } = RetrievalModes.Words;

    /// <summary>
    /// The sentence-embedding model that ranked the passages by meaning (its <c>ModelId</c>: the built-in one, or
    /// <c>openai-compatible:MODEL@ENDPOINT</c>), null when retrieval was by words only: the model, like the passages, is
    /// part of what a case's answer rests on, and a declared endpoint is where its question went.
    /// </summary>
    public string? EmbeddingModel { get; init; }
}

/// <summary>Optional checks of the answerer that need evidence retrieval may not have.</summary>
public sealed record AnswerChecks
{
    /// <summary>
    /// The cosine similarity of a retrieved passage to the question (from sentence embeddings), or null when retrieval
    /// has none; with one, a best passage below the manifest's <c>retrieval.meaning_far_below</c> abstains with <c>meaning_far</c>.
    /// </summary>
    public Func<Retrieval.RetrievedPassage, double?>? Similarity { get; init; } = passage => passage.Similarity;

    /// <summary>
    /// Whether a claim says what its verified quotes say; null: <see cref="EvidenceClaimSupport"/> with the index's
    /// embedding model (the rules alone when retrieval is by words only).
    /// </summary>
    public IClaimSupport? ClaimSupport { get; init; }
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
    private readonly AnswerChecks _checks;
    private readonly IClaimSupport _support;

    /// <summary>
    /// Abstention reasons decided before the confidence threshold is read: a draft with one of them abstains whatever
    /// <c>retrieval.abstain_below</c> is (what calibration relies on when it replays drafts at other thresholds).
    /// </summary>
    public static readonly IReadOnlySet<string> DecidedBeforeConfidence = new HashSet<string>(StringComparer.Ordinal)
    {
        "no_sources", "instruction_in_case", "other_language", "key_terms_missing", "focus_missing", "opinion", "private_data", "other_product_or_version", "meaning_far", "low_retrieval_confidence",
    };

    /// <summary>An answerer for <paramref name="manifest"/> over <paramref name="index"/>, asking <paramref name="engine"/>.</summary>
    public GroundedAnswerer(WorkflowManifest manifest, PassageIndex index, IChatClient engine)
        : this(manifest, index, engine, new AnswerChecks())
    {
    }

    /// <summary>An answerer with <paramref name="checks"/> (for example the embedding similarity of passages).</summary>
    public GroundedAnswerer(WorkflowManifest manifest, PassageIndex index, IChatClient engine, AnswerChecks checks)
    {
        ArgumentNullException.ThrowIfNull(checks);
        _checks = checks;
        _support = checks.ClaimSupport ?? new EvidenceClaimSupport(index.Embedder, manifest.Retrieval.ClaimFarBelow);
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
        // Words that address the assistant are an attempt to steer it, not part of the request: they are recorded on
        // the draft and taken out before retrieval, so what is answered is what the customer asks for.
        // Tickets wrap their lines anywhere; a line break inside a sentence must not cut it in two.
        caseText = SoftBreak().Replace(caseText, " ");
        var attempts = InstructionDetector.Find(caseText);
        var request = WithoutAttempts(caseText, attempts);
        // Personal data never helps find a help-centre page; left in, an e-mail address or IBAN only dilutes the query.
        var query = PlaceholderPattern().Replace(QueryRedactor.Redact(request).Text, " ");
        var hits = _index.Search(query, Math.Max(1, settings.TopK));
        var retrieved = hits.Select(h => new DraftPassage(h.Document.Source, h.Document.Path, h.Document.Version, h.Span.Start, h.Span.End, h.Score, Math.Round(h.Coverage, 4))).ToList();
        var confidence = hits.Count == 0 ? 0 : Math.Round(hits.Max(h => h.Coverage), 4);
        var agreed = AgreedSimilarity(hits, _checks.Similarity);
        IReadOnlyList<string> attempted = [.. attempts.Select(a => a.Kind + ": \"" + a.Match.Of(caseText) + "\"")];
        var questions = 1;

        Draft Abstain(string reason, string detail, string? input = null, string? output = null, IReadOnlyList<string>? unsupported = null) => new()
        {
            Answer = "", Abstained = true, Reason = reason, ReasonDetail = detail, Claims = [], Confidence = confidence, CitationCoverage = 0,
            UnsupportedClaims = unsupported?.Count ?? 0, UnsupportedReasons = unsupported ?? [], Retrieved = retrieved, Engine = _engineName, ModelInputHash = input, ModelOutputHash = output,
            InjectionAttempts = attempted,
            Retrieval = _index.Mode,
            EmbeddingModel = MeaningModel,
            AgreedSimilarity = agreed,
            Questions = questions,
        };

        if (_index.PassageCount == 0)
        {
            return Abstain("no_sources", "Nothing is ingested from the workflow's sources.");
        }

        // A case that poses as the system or asks for the instructions is an attack, not a request, unless it still
        // asks a question of its own; a case that only asks to ignore the rules or skip approval still asks for something.
        var attack = attempts.Any(a => a.Kind is "impersonates_system" or "reveal_instructions");
        if (attempts.Count > 0 && (attack
            ? !request.Contains('?', StringComparison.Ordinal)
            : !_index.Terms(request).Any(t => !t.Any(char.IsAsciiDigit))))
        {
            return Abstain("instruction_in_case", "The case only tells the assistant what to do (" + string.Join("; ", attempts.Select(a => a.Reason).Distinct()) + "); there is no request left to answer, so a person handles it.");
        }

        var handOvers = new List<DraftHandOver>();
        var parts = QuestionReading.Parts(query);
        questions = parts.Count;
        // What is about the case as a whole (its language, an opinion or private data, the product and version it
        // names) is judged whole; a question of several whose key terms no source uses is handed over on its own.
        if (Unanswerable(query, parts, handOvers) is { } why)
        {
            return Abstain(why.Reason, why.Detail);
        }

        var usable = hits.Where(h => h.Coverage >= settings.MinScore).ToList();
        // The case's own evidence: how close in meaning its best passage is, and how much of it the best passage covers.
        // Chatty tickets and paraphrases share few words with the page that answers them; with meaning, two rankings that
        // put the same page first and a passage close in meaning are evidence the words lack (docs/grounding.md, "Checks
        // and abstention"). Without meaning, words alone decide, as before.
        var caseGate = MeaningFar(hits, confidence, "the question")
            ?? (TooLittleEvidence(usable.Count, confidence, agreed)
                ? ("low_retrieval_confidence", $"The best passage covers {ReasonFigures.Beside(confidence, settings.AbstainBelow)} of the question; the manifest asks for at least {ReasonFigures.Bar(settings.AbstainBelow)}"
                    + ByMeaning(agreed, hits))
                : null);
        // A case of several questions is searched once per question, so that the page answering the second is among
        // the passages even when the first's page outranks it for the case as a whole.
        var judged = parts.Count >= 2 ? JudgeParts(parts, handOvers) : null;
        var engineText = request;
        List<RetrievedPassage> read;
        if (caseGate is { } gate)
        {
            // Too little evidence for the case as a whole: a case of several questions is judged question by question.
            // One whose own passages pass the gates is answered from them, one whose do not is handed over by name with
            // its reason. The case abstains as before when no question passes, and when every question passes alone:
            // then no question explains why the case as a whole fails, the evidence is spread thin over them.
            var answerable = judged?.Where(j => j.Gate is null).ToList() ?? [];
            var failing = judged is null ? [] : judged.Where(j => j.Gate is not null).ToList();
            if (answerable.Count == 0 || failing.Count + handOvers.Count == 0)
            {
                return Abstain(gate.Reason, gate.Detail);
            }

            handOvers.AddRange(failing.Select(j => HandOver(j.Part, j.Gate!.Value.Reason, j.Gate.Value.Detail)));
            // The engine is asked only what is answered: a question handed over for its evidence is not put to it.
            engineText = AskedOf(request, parts, [.. answerable.Select(j => j.Part)]);
            read = PerPart([], answerable, answerable.Count);
            // The draft's confidence is the evidence it answers from: the best of the answered questions'.
            confidence = Math.Round(answerable.Max(j => j.Confidence), 4);
        }
        else
        {
            // Sources marked as contradicting each other both answering: a person decides which one is right.
            if (Conflict(usable, confidence) is { } conflict)
            {
                return Abstain("conflicting_sources", conflict);
            }

            var handed = Handed(hits);
            read = judged is null ? handed : PerPart(handed, judged, judged.Count);
        }

        var handedOver = handOvers.Select(h => h.Question).ToList();
        read = WithTopPage(query, read);
        var passages = read.Select((h, i) => (Id: "P" + (i + 1), Hit: h)).ToList();
        // What retrieval returned: the case's passages, then those only a question's own search found.
        retrieved.AddRange(read.Where(h => !hits.Any(c => c.Document.Id == h.Document.Id && c.Span == h.Span))
            .Select(h => new DraftPassage(h.Document.Source, h.Document.Path, h.Document.Version, h.Span.Start, h.Span.End, h.Score, Math.Round(h.Coverage, 4))));
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

        var engineRequest = new AnswerRequest(Redact(engineText), [.. passages.Select(p => new PromptPassage(p.Id, p.Hit.Document.Path, p.Hit.Document.Title, Redact(p.Hit.Text)))]);
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, (_manifest.Prompts?.System ?? "") + "\n\n" + AnswerProtocol.Instructions),
            new(ChatRole.User, JsonSerializer.Serialize(engineRequest, AnswerProtocol.Json)),
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
        var dropped = new List<string>();
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

            // A real quote is not yet support: a planted instruction is data, never an answer (the built-in engine never
            // picks one; a remote model may), and the claim must say what its quotes say, not merely cite them.
            var text = Restore(claim.Text ?? "", redactions);
            var answering = verified.Where(v => !InstructionDetector.IsInstruction(v.Quote)).ToList();
            var reason = verified.Count == 0 ? ClaimSupportReasons.NoVerifiedCitation
                : answering.Count == 0 ? ClaimSupportReasons.QuoteIsInstruction
                : (await _support.CheckAsync(text, [.. answering.Select(v => v.Quote)], cancellationToken).ConfigureAwait(false)).Reason;
            if (reason is null)
            {
                claims.Add(new DraftClaim(text, answering));
            }
            else
            {
                dropped.Add(reason);
            }
        }

        var unsupported = dropped.Count;
        if (claims.Count == 0)
        {
            return Abstain("no_supported_claim", answer.Claims.Count == 0
                ? "The engine found no answer in the passages."
                : $"None of the engine's {answer.Claims.Count} claims is supported by its quotes ({string.Join(", ", dropped.GroupBy(r => r, StringComparer.Ordinal).Select(g => g.Count() + " " + g.Key))}).", inputHash, outputHash, dropped);
        }

        // A question no claim answers goes to a person as well; one the engine was not asked is already handed over.
        var uncovered = Uncovered(request, claims)
            .Where(q => !handedOver.Contains(q))
            .Select(q => new DraftHandOver(q, "no_supported_claim", $"I can't answer '{q}' from the sources: no sentence of the passages found answers it."))
            .ToList();
        return new Draft
        {
            Answer = string.Join(" ", claims.Select(c => c.Text.Trim())),
            Abstained = false,
            Claims = claims,
            Confidence = confidence,
            CitationCoverage = Math.Round(claims.Count / (double)answer.Claims.Count, 4),
            UnsupportedClaims = unsupported,
            UnsupportedReasons = dropped,
            Retrieved = retrieved,
            Engine = _engineName,
            ModelInputHash = inputHash,
            ModelOutputHash = outputHash,
            Redacted = [.. redactions.Select(r => r.Kind).Distinct()],
            InjectionAttempts = attempted,
            HandedOver = [.. handOvers.Select(h => h.Question).Concat(uncovered.Select(h => h.Question)).Distinct()],
            HandOvers = [.. handOvers.Concat(uncovered).DistinctBy(h => h.Question)],
            Retrieval = _index.Mode,
            EmbeddingModel = MeaningModel,
            AgreedSimilarity = agreed,
            Questions = questions,
        };
    }

    /// <summary>
    /// The best passage's similarity when the passage BM25 ranks first and the one meaning ranks first are of the same
    /// page (either missing from the hits counts as disagreement); null otherwise or without similarities.
    /// </summary>
    internal static double? AgreedSimilarity(IReadOnlyList<RetrievedPassage> hits, Func<RetrievedPassage, double?>? similarity)
    {
        if (similarity is null || hits.FirstOrDefault(h => h.FirstByWords) is not { } words || hits.FirstOrDefault(h => h.FirstByMeaning) is not { } meaning
            || words.Document.Id != meaning.Document.Id)
        {
            return null;
        }

        return hits.Select(similarity).Max() is { } best ? Math.Round(best, 4) : null;
    }

    /// <summary>
    /// The end of a <c>low_retrieval_confidence</c> reason: with meaning, what else would have passed the gate and why it
    /// did not (the similarity on the page both rankings put first, or how they disagree); by words only, nothing.
    /// </summary>
    // The model behind retrieval by meaning when it took part, for the draft and the ledger.
    private string? MeaningModel => _index.Mode == RetrievalModes.Fused ? _index.Embedder?.ModelId : null;

    private string ByMeaning(double? agreed, SearchHits hits) => _index.Mode != RetrievalModes.Fused
        ? "."
        : agreed is { } near
            ? $", or a passage of similarity {ReasonFigures.Bar(_manifest.Retrieval.AgreedMeaningAt)} on the page both rankings put first (here {ReasonFigures.Beside(near, _manifest.Retrieval.AgreedMeaningAt)})."
            : $", or a page that words and meaning both rank first ({Disagreement(hits)}).";

    /// <summary>
    /// How the rankings disagree, for the person the case goes to: "they disagree: words put returns/refund-policy.md
    /// first, meaning shipping/shipping-costs.html", whose pages are where to look first.
    /// </summary>
    private static string Disagreement(SearchHits hits) => (hits.FirstPageByWords, hits.FirstPageByMeaning) switch
    {
        (null, _) => "nothing matches by words",
        ({ } words, { } meaning) when words != meaning => $"they disagree: words put {words} first, meaning {meaning}",
        ({ } page, { }) => $"both put {page} first, but not both its first passages are among the best",
        _ => "they disagree",
    };

    /// <summary>
    /// The confidence gate, for a case or one of its questions alike: no passage over <c>retrieval.min_score</c>, or the
    /// best below <c>retrieval.abstain_below</c> with nothing in meaning to make up for it (<see cref="PassesByMeaning"/>).
    /// </summary>
    private bool TooLittleEvidence(int usable, double confidence, double? agreed) =>
        usable == 0 || (confidence < _manifest.Retrieval.AbstainBelow && !PassesByMeaning(agreed, _manifest.Retrieval.AgreedMeaningAt));

    /// <summary>Whether the rankings' agreement and the similarity pass the confidence gate (<see cref="Draft.AgreedSimilarity"/>).</summary>
    /// <remarks>At 1 the rule is off, as the manifest says: a similarity rounded to 1.0 (the same text) does not pass it.</remarks>
    public static bool PassesByMeaning(double? agreedSimilarity, double agreedMeaningAt) => agreedMeaningAt < 1 && agreedSimilarity is { } s && s >= agreedMeaningAt;

    /// <summary>
    /// The passages the engine answers from for a case of several questions: the case's own (<paramref name="caseList"/>,
    /// empty when the case as a whole did not pass the gates) and those of each question that passed its own gates,
    /// searched on its own (with the subject it borrows from the question before, <see cref="QuestionPart.Query"/>), so
    /// that the page answering the second question is among the passages even when the first question's pages outrank it
    /// for the case as a whole. The lists are merged rank by rank, each passage once: the case's <c>top_k</c> and two
    /// more for each further question answered.
    /// </summary>
    private List<RetrievedPassage> PerPart(List<RetrievedPassage> caseList, IReadOnlyList<PartEvidence> searched, int questions)
    {
        // One question left (the others name what no source uses): it is the case's question, read from the case's passages.
        if (questions < 2 && caseList.Count > 0)
        {
            return caseList;
        }

        var topK = Math.Max(1, _manifest.Retrieval.TopK);
        List<List<RetrievedPassage>> lists = [caseList, .. searched.Select(j => j.Handed)];
        var merged = new List<RetrievedPassage>();
        for (var rank = 0; rank < topK; rank++)
        {
            foreach (var list in lists)
            {
                if (rank < list.Count && !merged.Any(m => Same(m, list[rank])))
                {
                    merged.Add(list[rank]);
                }
            }
        }

        return [.. merged.Take(topK + (PassagesPerPart * Math.Max(0, questions - 1)))];

        static bool Same(RetrievedPassage a, RetrievedPassage b) => a.Document.Id == b.Document.Id && a.Span == b.Span;
    }

    /// <summary>One question of a case searched on its own: the passages it hands the engine (<see cref="Handed"/>), the best coverage among its passages, and why it cannot be answered (null when it can).</summary>
    private sealed record PartEvidence(QuestionPart Part, List<RetrievedPassage> Handed, double Confidence, (string Reason, string Detail)? Gate);

    /// <summary>
    /// Each question of a case of several not already handed over, searched on its own (<c>top_k</c> divided among the
    /// questions, at least <see cref="PassagesPerPart"/>) and gated on its own evidence as a one-question case is:
    /// meaning far from its best passage, its best passage below <c>retrieval.abstain_below</c> (or none over
    /// <c>min_score</c>), or its best passages from sources marked as contradicting each other.
    /// </summary>
    private List<PartEvidence> JudgeParts(IReadOnlyList<QuestionPart> parts, List<DraftHandOver> handOvers)
    {
        var settings = _manifest.Retrieval;
        var remaining = parts.Where(p => !handOvers.Any(h => h.Question == Collapse(p.Text))).ToList();
        var each = Math.Max(PassagesPerPart, (int)Math.Ceiling(Math.Max(1, settings.TopK) / (double)Math.Max(1, remaining.Count)));
        var judged = new List<PartEvidence>();
        foreach (var part in remaining)
        {
            var found = _index.Search(part.Query, each);
            var usable = found.Where(h => h.Coverage >= settings.MinScore).ToList();
            var confidence = found.Count == 0 ? 0 : found.Max(h => h.Coverage);
            var agreed = AgreedSimilarity(found, _checks.Similarity);
            var gate = MeaningFar(found, confidence, "this question")
                ?? (TooLittleEvidence(usable.Count, confidence, agreed)
                    ? ("low_retrieval_confidence", $"its best passage covers {ReasonFigures.Beside(confidence, settings.AbstainBelow)} of it; the manifest asks for at least {ReasonFigures.Bar(settings.AbstainBelow)}" + ByMeaning(agreed, found))
                    : Conflict(usable, confidence) is { } conflict ? ("conflicting_sources", conflict) : null);
            judged.Add(new PartEvidence(part, Handed(found), confidence, gate));
        }

        return judged;
    }

    /// <summary>A question handed to a person, named, with its reason in words.</summary>
    private static DraftHandOver HandOver(QuestionPart part, string reason, string detail)
    {
        var question = Collapse(part.Text);
        return new DraftHandOver(question, reason, $"I can't answer '{question}' from the sources: {Lower(detail)}");

        static string Lower(string text) => text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
    }

    /// <summary>
    /// What the engine is asked when some questions of a case are handed over: the others, in the case's order; a
    /// question that refers back to a handed-over one takes the words it borrows along. The whole case when none is.
    /// </summary>
    private static string AskedOf(string request, IReadOnlyList<QuestionPart> parts, IReadOnlyList<QuestionPart> kept)
    {
        if (kept.Count == parts.Count)
        {
            return request;
        }

        var asked = new List<string>();
        for (var i = 0; i < parts.Count; i++)
        {
            if (kept.Contains(parts[i]))
            {
                var before = i > 0 && kept.Contains(parts[i - 1]);
                asked.Add(Collapse(before || parts[i].Context is null ? parts[i].Text : parts[i].Query));
            }
        }

        return string.Join(" ", asked);
    }

    /// <summary>With embeddings, a best passage far in meaning from what is asked; null when close enough or without them.</summary>
    private (string Reason, string Detail)? MeaningFar(IReadOnlyList<RetrievedPassage> hits, double confidence, string what) =>
        _checks.Similarity is { } similarity && hits.Count > 0 && hits.Select(similarity).Max() is { } best && best < _manifest.Retrieval.MeaningFarBelow && confidence > 0
            ? ("meaning_far", $"The passage closest in meaning to {what} has similarity {ReasonFigures.Beside(best, _manifest.Retrieval.MeaningFarBelow)}, below {ReasonFigures.Bar(_manifest.Retrieval.MeaningFarBelow)}.")
            : null;

    /// <summary>Two sources marked as contradicting each other both among the best passages: which one is right is a person's call.</summary>
    private static string? Conflict(List<RetrievedPassage> usable, double confidence)
    {
        var top = usable.Where(h => h.Coverage >= confidence * 0.6).Select(h => h.Document).DistinctBy(d => d.Id).ToList();
        foreach (var a in top)
        {
            if (top.FirstOrDefault(b => b.Id != a.Id && (a.Contradicts.Contains(b.Id) || b.Contradicts.Contains(a.Id))) is { } b)
            {
                return $"'{a.Title}' ({a.Path}) and '{b.Title}' ({b.Path}) contradict each other on this.";
            }
        }

        return null;
    }

    private const int PassagesPerPart = 2;

    /// <summary>
    /// The passages of a search the engine reads: those over <c>retrieval.min_score</c> and, with meaning, those close
    /// in meaning to what is asked (similarity at or above <c>retrieval.agreed_meaning_at</c>, the manifest's measure of
    /// a passage that is evidence in meaning) though they share too few of its words, in the order retrieval ranked them.
    /// A question put in other words than the page's (one word where the page writes two) is found by meaning, and
    /// without this never reaches the engine. <c>min_score</c> still decides the confidence gate alone.
    /// </summary>
    private List<RetrievedPassage> Handed(IReadOnlyList<RetrievedPassage> hits)
    {
        var minScore = _manifest.Retrieval.MinScore;
        var near = _manifest.Retrieval.AgreedMeaningAt;
        return [.. hits.Where(h => h.Coverage >= minScore || (near < 1 && h.Similarity is { } similarity && similarity >= near))];
    }

    /// <summary>
    /// By words alone, the passages of the first-ranked page that state most of the question's terms join the
    /// passages read, after them: a person who found the right page reads the page, not only the paragraph that
    /// matched best. BM25 ranks a short passage dense in the question's words (a heading, a summary line) above the
    /// paragraph that states the fact, and fills the rest of <c>top_k</c> with other pages; on sqlite-docs 16 of the 23
    /// answers that cited a right page but missed a fact had that fact on the cited page in a passage the engine never
    /// saw. At most <see cref="PagePassages"/> passages, each holding more than half of the question's distinct terms.
    /// Only by words: fused with meaning, retrieval already brings a page's differently worded passages, and the same
    /// rule there only traded one right answer for a wrong-page one (docs/performance.md, "The fact's passage").
    /// </summary>
    private List<RetrievedPassage> WithTopPage(string query, List<RetrievedPassage> read)
    {
        if (read.Count == 0 || _index.Mode != RetrievalModes.Words)
        {
            return read;
        }

        var document = read[0].Document;
        var terms = _index.Terms(query).Where(t => !PassageIndex.IsIdentifier(t)).ToHashSet(StringComparer.Ordinal);
        if (terms.Count == 0)
        {
            return read;
        }

        var extra = _index.PassagesOf(document)
            .Where(span => !read.Any(r => r.Document.Id == document.Id && r.Span == span))
            .Select(span => new RetrievedPassage(document, span, 0, _index.Terms(span.Of(document.Text)).Count(terms.Contains) / (double)terms.Count))
            .Where(p => p.Coverage > PageTermShare)
            .OrderByDescending(p => p.Coverage)
            .ThenBy(p => p.Span.Start)
            .Take(PagePassages);
        return [.. read, .. extra];
    }

    /// <summary>How many passages of the first-ranked page <see cref="WithTopPage"/> adds at most.</summary>
    private const int PagePassages = 2;

    /// <summary>
    /// The share of the question's distinct terms a passage of the first-ranked page must exceed to be read: half, and
    /// 0.5 to 0.7 measured the same on both golden sets by words, 0.4 one answer more on sqlite-docs; any share in
    /// fused mode lost an answer there.
    /// </summary>
    private const double PageTermShare = 0.5;

    /// <summary>The case without the words that address the assistant; a sentence posing as the system goes whole.</summary>
    private static string WithoutAttempts(string caseText, IReadOnlyList<InstructionFinding> attempts)
    {
        var cut = attempts.Select(a => a.Kind is "impersonates_system" or "reveal_instructions" ? a with { Match = a.Sentence } : a).ToList();
        return InstructionDetector.WithoutInstructions(caseText, cut);
    }

    /// <summary>
    /// Why the sources cannot answer this question whatever retrieval found, or null: a question in another language
    /// than the sources, an opinion or private data, key terms no source uses (a question of several whose key terms no
    /// source uses is handed over into <paramref name="handOvers"/> while another remains), a version no source names.
    /// What retrieval found is judged after, for the case or for each of its questions.
    /// </summary>
    private (string Reason, string Detail)? Unanswerable(string query, IReadOnlyList<QuestionPart> parts, List<DraftHandOver> handOvers)
    {
        var profile = SourceProfile.Of(_index);
        if (QuestionReading.LanguageOf(query) is { } language && profile.Languages.Count > 0 && !profile.Languages.Contains(language))
        {
            // Retrieval, by words and by the built-in model's meaning, matches within a language: even an engine that could
            // translate is never handed the passages that answer.
            return ("other_language", $"The question is written in {QuestionReading.LanguageName(language)}; the sources are in {QuestionReading.LanguageNames(profile.Languages)}, and "
                + (_manifest.Model.Provider == ModelProvider.BuiltinExtractive ? "the built-in engine does not translate." : "retrieval does not translate, so no passage that answers it can be found."));
        }

        // A question no documentation answers, by its shape: an opinion, someone's private data, the asker's own systems.
        if (QuestionReading.OutOfDocumentation(query) is { } outside)
        {
            return outside;
        }

        // Each question of a ticket on its own: one the sources never touch is handed over, the case abstains only
        // when that is true of all of them.
        var unknown = parts.Select(p => (Part: p, Why: Untouched(profile, p.Text))).Where(p => p.Why is not null).ToList();
        if (parts.Count > 0 && unknown.Count == parts.Count)
        {
            return unknown[0].Why!.Value;
        }

        handOvers.AddRange(unknown.Select(u => HandOver(u.Part, u.Why!.Value.Reason, u.Why.Value.Detail)));

        if (profile.UncoveredVersions(query) is { Count: > 0 } versions)
        {
            return ("other_product_or_version", $"The question is about {string.Join(", ", versions.Select(v => "'" + v + "'"))}, which no source mentions: the sources cover another product or version.");
        }

        if (OtherSubject(profile, query) is { } other)
        {
            return ("other_product_or_version", other);
        }

        return null;
    }

    /// <summary>
    /// Why the sources never touch one question of a case, or null: its key terms are missing (at the manifest's share),
    /// it names a function (<c>name()</c>) no source names, or a word of the phrase it asks about ("is there a student
    /// discount") occurs in no source, nor one typo away from a source word.
    /// </summary>
    private (string Reason, string Detail)? Untouched(SourceProfile profile, string text)
    {
        if (MissingKeyTerms(profile, text) is { } missing)
        {
            var words = SurfaceWords(text, missing.Missing);
            return ("key_terms_missing", $"{missing.Missing.Count} of the question's {missing.All} key terms never occur in the sources ({string.Join(", ", words)}); the share at which the system abstains is {_manifest.Retrieval.KeyTermsMissingAt:0.00}.");
        }

        // A function is named exactly: jsonb() is not a typo of json(), it is a function these sources do not have.
        if (QuestionReading.FunctionNames(text).Where(f => !profile.Mentions(f + "(")).ToList() is { Count: > 0 } functions)
        {
            return ("key_terms_missing", $"The question asks about {string.Join(", ", functions.Select(f => f + "()"))}, which no source names: a function of another product or a later version.");
        }

        var focus = QuestionReading.FocusWords(text);
        var absent = focus.Where(w => _index.Terms(w) is [var t] && !t.Any(char.IsAsciiDigit) && !profile.Vocabulary.Contains(t) && !profile.HasTypoOf(t)).ToList();
        return absent.Count > 0
            ? ("focus_missing", $"The question asks about '{string.Join(" ", focus)}', and {string.Join(", ", absent.Select(a => "'" + a + "'"))} occurs in no source.")
            : null;
    }

    /// <summary>
    /// When the sources have a subject of their own (a name most documents carry), a question about another name they
    /// merely mention (on fewer than <c>retrieval.mentioned_below</c> of the documents, in no title) or never name is
    /// about another product: "the default port of a MySQL server" in SQLite's documentation. A name after a
    /// comparison ("like MySQL", "than Oracle") or a platform ("on Windows") does not count, nor one that contains the
    /// subject ("SQLite Encryption Extension"); a later version of the subject than any the sources give counts too.
    /// </summary>
    private string? OtherSubject(SourceProfile profile, string query)
    {
        if (profile.Subject is not { } subject)
        {
            return null;
        }

        if (QuestionReading.Versions(query).FirstOrDefault(v => (v.Name is null || v.Name.Equals(subject, StringComparison.OrdinalIgnoreCase)) && profile.IsLaterVersion(v.Numbers)) is { } later)
        {
            return $"The question is about {(later.Name is null ? "" : later.Name + " ")}{later.Text}; the sources go up to {subject} {string.Join('.', profile.LatestVersion!)}.";
        }

        var share = _manifest.Retrieval.MentionedBelow;
        if (share <= 0)
        {
            return null;
        }

        foreach (var name in QuestionReading.Names(query).Where(n => !n.Compared))
        {
            if (name.Text.Contains(subject, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var (documents, inTitle) = profile.Coverage(name.Text);
            if (!inTitle && documents < share * profile.DocumentCount)
            {
                return $"The question is about '{name.Text}', which the sources name on {documents} of {profile.DocumentCount} documents and in no title; their subject is {subject} ({profile.SubjectDocuments} documents).";
            }
        }

        return null;
    }

    /// <summary>
    /// The terms that name what the question is about: words after an article, a possessive, a demonstrative or "of",
    /// "for", "about", "with" ("the capital of France", "my refund"). Verbs ("paid") are how a question is asked, and
    /// places after "in" or "from" are where the customer lives: a help centre that never names them can still answer.
    /// Words of three letters or fewer are left out (abbreviations, typos of "what"), and so are indefinite pronouns
    /// ("check with anyone": they name nobody). A name in a ticket's story, outside what it asks ("Leaving for the Alps
    /// on Sunday" after "Do you deliver express on Saturdays?"), is where the customer is or goes, not what is asked.
    /// When no word qualifies, every term counts.
    /// </summary>
    private List<string> KeyTerms(string query)
    {
        var matches = WordPattern().Matches(query);
        var words = matches.Select(m => m.Value).ToList();
        var ask = AnswerShapes.AskOf(query, _index.Terms) is { HasStory: true } read ? read.Text : null;
        var key = new List<string>();
        for (var i = 1; i < words.Count; i++)
        {
            if (!NounMarkers.Contains(words[i - 1]) || words[i].Length <= 3 || IndefinitePronouns.Contains(words[i]))
            {
                continue;
            }

            if (ask is not null && char.IsUpper(words[i][0]) && !ask.Contains(words[i], StringComparison.Ordinal))
            {
                continue;
            }

            key.AddRange(_index.Terms(words[i]).Where(t => !t.Any(char.IsAsciiDigit)));
        }

        return key.Count > 0 ? [.. key.Distinct(StringComparer.Ordinal)] : [.. _index.Terms(query).Where(t => t.Length > 3 && !t.Any(char.IsAsciiDigit))];
    }

    private static readonly HashSet<string> IndefinitePronouns = new(
        ["anyone", "anybody", "anything", "someone", "somebody", "something", "everyone", "everybody", "everything", "nobody", "nothing"],
        StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> NounMarkers = new(
        ["the", "a", "an", "my", "your", "our", "his", "her", "their", "this", "these", "those", "of", "for", "about", "with", "any", "some"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>The key terms of <paramref name="text"/> the sources never use, when they reach the manifest's share; else null.</summary>
    private (int All, List<string> Missing)? MissingKeyTerms(SourceProfile profile, string text)
    {
        var terms = KeyTerms(text);
        // A misspelt word is not a missing one: a term one or two edits from a word the sources use is a typo.
        var missing = terms.Where(t => !profile.Vocabulary.Contains(t) && !profile.HasNear(t)).ToList();
        return terms.Count > 0 && missing.Count > 0 && missing.Count / (double)terms.Count >= _manifest.Retrieval.KeyTermsMissingAt ? (terms.Count, missing) : null;
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private List<string> SurfaceWords(string query, List<string> missing)
    {
        var words = new List<string>();
        foreach (System.Text.RegularExpressions.Match w in WordPattern().Matches(query))
        {
            if (_index.Terms(w.Value) is [var term] && missing.Contains(term) && !words.Contains(w.Value, StringComparer.OrdinalIgnoreCase))
            {
                words.Add("'" + w.Value + "'");
            }
        }

        return words;
    }

    /// <summary>The questions of a multi-question case that no claim answers: they go to a person.</summary>
    private List<string> Uncovered(string request, List<DraftClaim> claims)
    {
        var parts = QuestionReading.Parts(request);
        if (parts.Count < 2)
        {
            return [];
        }

        var claimTerms = claims.Select(c => (c.Text, Terms: _index.Terms(c.Text).ToHashSet(StringComparer.Ordinal))).ToList();
        return [.. parts
            .Where(p => !claimTerms.Any(c => _index.Terms(p.Text).Count(c.Terms.Contains) >= 1 && QuestionReading.Addresses(p.Shape, c.Text)))
            .Select(p => Collapse(p.Text))];
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

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<!\n)[ \t]*\r?\n[ \t]*(?![ \t]*\r?\n)")]
    private static partial System.Text.RegularExpressions.Regex SoftBreak();

    [System.Text.RegularExpressions.GeneratedRegex(@"[\p{L}'-]+")]
    private static partial System.Text.RegularExpressions.Regex WordPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"\[[A-Z_]+_[0-9]+\]")]
    private static partial System.Text.RegularExpressions.Regex PlaceholderPattern();

}
