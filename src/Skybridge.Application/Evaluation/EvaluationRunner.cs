using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Cases;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Application.Evaluation;

/// <summary>How a run is carried out.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Runs of each case (k of pass^k); at least 1.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Cases drafted at once; at least 1.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Retrieval by meaning (the model and its vector cache); null: by words only.</summary>
    public Skybridge.Grounding.Retrieval.Embeddings.DenseRetrieval? Dense { get; init; }
}

/// <summary>
/// An action the responder would propose for a case, decided by policy and the ladder, never executed and never stored.
/// </summary>
/// <param name="Action">The manifest's action.</param>
/// <param name="Parameters">Its parameters as text (numbers in invariant form).</param>
/// <param name="Disposition">What the node would do: <c>execute</c>, <c>awaitapproval</c>, <c>recordproposal</c>,
/// <c>deny</c>, or <c>not_proposed</c> when a template needs a case attribute the golden case lacks.</param>
/// <param name="Decision">Policy's outcome (<c>allow</c>, <c>require_approval</c>, <c>deny</c>), null when not proposed.</param>
/// <param name="Approvers">People who would have to approve it.</param>
public sealed record SandboxProposal(string Action, IReadOnlyDictionary<string, string> Parameters, string Disposition, string? Decision, int Approvers)
{
    /// <summary>The disposition of a proposal a template could not fill.</summary>
    public const string NotProposed = "not_proposed";

    /// <summary>True when the proposal would reach the action path and not be denied: it counts as proposed when scoring.</summary>
    public bool Counts => Disposition is not (NotProposed or "deny" or "halted");
}

/// <summary>What a case produced in a run (the repeat its score is from).</summary>
public sealed record EvaluatedOutput
{
    /// <summary>True when the draft abstained.</summary>
    public required bool Abstained { get; init; }

    /// <summary>The answer, or empty.</summary>
    public string Answer { get; init; } = "";

    /// <summary>Why it abstained, or null.</summary>
    public string? Reason { get; init; }

    /// <summary>Documents cited, as paths under their source (the golden set's <c>cite</c> form).</summary>
    public IReadOnlyList<string> Citations { get; init; } = [];

    /// <summary>The questions of a multi-question case the answer leaves to a person (the draft's hand-over).</summary>
    public IReadOnlyList<string> HandedOver { get; init; } = [];

    /// <summary>What the responder would propose.</summary>
    public IReadOnlyList<SandboxProposal> Proposals { get; init; } = [];

    /// <summary>Draft plus proposal, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Cost of the case (0 for the built-in engine).</summary>
    public double Cost { get; init; }
}

/// <summary>One golden case in a run: its score, and over k repeats how many passed.</summary>
public sealed record EvaluatedCase
{
    /// <summary>The golden case's id.</summary>
    public required string CaseId { get; init; }

    /// <summary>
    /// The score of the first failing repeat (else the first): <see cref="CaseScore.Passed"/> is true only when every
    /// repeat passed (pass^k), so a case right two times in three counts as failing.
    /// </summary>
    public required CaseScore Score { get; init; }

    /// <summary>Repeats run.</summary>
    public required int Repeats { get; init; }

    /// <summary>Repeats that passed.</summary>
    public required int Passes { get; init; }

    /// <summary>The output of the repeat <see cref="Score"/> is from.</summary>
    public required EvaluatedOutput Output { get; init; }
}

/// <summary>A finished run: every case, the metrics, the verdict against the manifest's bar.</summary>
public sealed record EvaluationRun
{
    /// <summary><c>run-</c> and 16 random hex characters.</summary>
    public required string Id { get; init; }

    /// <summary>The workflow.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The stored version, or null for a manifest file.</summary>
    public int? Version { get; init; }

    /// <summary>SHA-256 of the manifest text.</summary>
    public required string ManifestHash { get; init; }

    /// <summary>SHA-256 of the golden set's bytes.</summary>
    public required string GoldenSetHash { get; init; }

    /// <summary>The bar in force.</summary>
    public required IReadOnlyList<AcceptanceCriterion> Bar { get; init; }

    /// <summary>Cases in golden-set order.</summary>
    public required IReadOnlyList<EvaluatedCase> Cases { get; init; }

    /// <summary>Metrics over <see cref="Cases"/>' scores, overall and per tag.</summary>
    public required EvaluationMetrics Metrics { get; init; }

    /// <summary>The verdict against <see cref="Bar"/>.</summary>
    public required BarVerdict Verdict { get; init; }

    /// <summary>pass^k over every case and over the cases with a consequential action.</summary>
    public required PassKResult PassK { get; init; }

    /// <summary>k.</summary>
    public required int Repeat { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>
    /// Each golden case's terms (<see cref="GoldenSimilarity.Terms"/>, sorted), in golden-set order: kept with the run
    /// so that a node, which never holds the golden set's file, can tell live cases unlike every golden case.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> GoldenTerms { get; init; } = [];

    /// <summary>The case scores, as metrics and comparisons take them.</summary>
    public IReadOnlyList<CaseScore> Scores => [.. Cases.Select(c => c.Score)];
}

/// <summary>
/// Runs a golden set against a manifest in sandbox mode: each case is drafted by the same grounding code as a live case
/// (one index for the whole run, built once), the built-in responder's action is filled from the case's attributes and
/// the draft and decided by policy and the ladder exactly as the action path would, and nothing is executed, stored or
/// recorded per case. Cases run in parallel under a limit; each runs k times.
/// </summary>
public static class EvaluationRunner
{
    /// <summary>Runs <paramref name="subject"/>; <paramref name="progress"/> hears the number of case runs finished.</summary>
    public static async Task<EvaluationRun> RunAsync(EvaluationSubject subject, EvaluationOptions options, TimeProvider time,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var repeat = Math.Max(1, options.Repeat);
        var started = time.GetUtcNow();
        var manifest = subject.Manifest;
        // By meaning with the model the manifest declares, else the command's own (words only when it runs none).
        using var index = new PassageIndex(options.Dense?.For(manifest.Retrieval.Embedding));
        await index.UpsertAsync(subject.Documents, cancellationToken).ConfigureAwait(false);
        using var engine = AnswerEngines.Create(manifest.Model);
        var answerer = new GroundedAnswerer(manifest, index, engine);
        var policy = CompiledPolicy.Compile(manifest);
        var consequential = manifest.Actions.Where(a => a.Consequence == ActionConsequence.Consequential).Select(a => a.Name).ToList();
        var scorer = new GoldenScorer(consequential, subject.Documents.Select(d => d.Path));
        var cases = subject.GoldenSet.Cases;
        var runs = new (CaseScore Score, EvaluatedOutput Output)[cases.Count, repeat];
        var done = 0;
        var work = Enumerable.Range(0, cases.Count * repeat);
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var golden = cases[i / repeat];
                var output = await RunCaseAsync(answerer, policy, manifest, golden, time, ct).ConfigureAwait(false);
                runs[i / repeat, i % repeat] = (scorer.Score(golden, ToCaseOutput(output)), output);
                progress?.Report(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);

        var evaluated = new List<EvaluatedCase>(cases.Count);
        var byRepeat = Enumerable.Range(0, repeat).Select(_ => new List<CaseScore>(cases.Count)).ToList();
        for (var c = 0; c < cases.Count; c++)
        {
            var chosen = 0;
            var passes = 0;
            for (var r = 0; r < repeat; r++)
            {
                byRepeat[r].Add(runs[c, r].Score);
                if (runs[c, r].Score.Passed)
                {
                    passes++;
                }
                else if (runs[c, chosen].Score.Passed)
                {
                    chosen = r;
                }
            }

            evaluated.Add(new EvaluatedCase { CaseId = cases[c].Id, Score = runs[c, chosen].Score, Output = runs[c, chosen].Output, Repeats = repeat, Passes = passes });
        }

        var scores = evaluated.Select(e => e.Score).ToList();
        var metrics = EvaluationMetrics.Compute(scores);
        return new EvaluationRun
        {
            Id = NewRunId(),
            WorkflowId = subject.WorkflowId,
            Version = subject.Version,
            ManifestHash = subject.ManifestHash,
            GoldenSetHash = subject.GoldenSet.Sha256,
            Bar = manifest.AcceptanceBar,
            Cases = evaluated,
            GoldenTerms = [.. cases.Select(c => (IReadOnlyList<string>)[.. GoldenSimilarity.Terms(c.Input).Order(StringComparer.Ordinal)])],
            Metrics = metrics,
            Verdict = BarVerdict.Evaluate(manifest.AcceptanceBar, metrics),
            PassK = PassKResult.Combine([.. byRepeat]),
            Repeat = repeat,
            StartedAt = started,
            FinishedAt = time.GetUtcNow(),
        };
    }

    /// <summary>A new run id.</summary>
    public static string NewRunId() => "run-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static async Task<EvaluatedOutput> RunCaseAsync(GroundedAnswerer answerer, CompiledPolicy policy, WorkflowManifest manifest, GoldenCase golden,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var draft = await answerer.AnswerAsync(golden.Input, cancellationToken).ConfigureAwait(false);
        var proposals = Propose(policy, manifest, draft, golden.Attributes, golden.Id, time);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var citations = new List<string>();
        foreach (var claim in draft.Claims)
        {
            foreach (var citation in claim.Citations)
            {
                // Drafts cite a document by its path under the source folder, the form the golden set's `cite` uses.
                if (!citations.Contains(citation.Document, StringComparer.Ordinal))
                {
                    citations.Add(citation.Document);
                }
            }
        }

        return new EvaluatedOutput
        {
            Abstained = draft.Abstained,
            Answer = draft.Answer,
            Reason = draft.Reason,
            Citations = citations,
            HandedOver = draft.HandedOver,
            Proposals = proposals,
            LatencyMs = Math.Round(elapsed, 3),
            Cost = 0,
        };
    }

    /// <summary>
    /// What <see cref="CaseResponder"/> would propose for the draft, decided by policy and the ladder as the action path's
    /// policy step decides it (not halted: a sandbox run measures the workflow, not today's kill switch).
    /// </summary>
    internal static IReadOnlyList<SandboxProposal> Propose(CompiledPolicy policy, WorkflowManifest manifest, Draft draft, IReadOnlyDictionary<string, string> attributes,
        string caseId, TimeProvider time)
    {
        var settings = manifest.Responder;
        var step = draft.Abstained ? settings?.OnAbstain : settings?.OnAnswer;
        if (step is null || manifest.FindAction(step.Action) is not { } definition)
        {
            return [];
        }

        var parameters = ResponderTemplates.Fill(step, definition, name => name switch
        {
            ResponderTemplates.DraftAnswer => draft.Abstained ? null : draft.Answer,
            ResponderTemplates.DraftReason => draft.Reason,
            _ when name.StartsWith(ResponderTemplates.CasePrefix, StringComparison.Ordinal) => attributes.GetValueOrDefault(name[ResponderTemplates.CasePrefix.Length..]),
            _ => null,
        }, out var missing);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var arguments = new List<PolicyArgument>();
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            switch (value.GetValueKind())
            {
                case JsonValueKind.Number when ActionSchema.TryGetNumber(value, out var number):
                    arguments.Add(PolicyArgument.Of(name, number));
                    texts[name] = number.ToString(CultureInfo.InvariantCulture);
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    arguments.Add(PolicyArgument.Of(name, value.GetValue<bool>()));
                    texts[name] = value.GetValue<bool>() ? "true" : "false";
                    break;
                case JsonValueKind.String:
                    arguments.Add(PolicyArgument.Of(name, value.GetValue<string>()));
                    texts[name] = value.GetValue<string>();
                    break;
                default:
                    texts[name] = value.ToJsonString();
                    break;
            }
        }

        if (missing.Count > 0)
        {
            return [new SandboxProposal(step.Action, texts, SandboxProposal.NotProposed, null, 0)];
        }

        var request = new PolicyRequest
        {
            AgentRole = settings!.Role,
            ActorChain = new[] { CaseResponder.Requester },
            Action = step.Action,
            Resource = caseId,
            Parameters = arguments.ToArray(),
            TimeOfDay = time.GetUtcNow().UtcDateTime.TimeOfDay,
        };
        var decision = policy.Decide(request);
        var outcome = EffectiveOutcome.Of(decision, manifest.Autonomy.Level, halted: false, definition.Consequence);
        return [new SandboxProposal(step.Action, texts, outcome.Disposition.ToString().ToLowerInvariant(), PolicyDecisionName(decision.Outcome), outcome.Approvers)];
    }

    private static string PolicyDecisionName(PolicyOutcome outcome) => outcome switch
    {
        PolicyOutcome.Allow => "allow",
        PolicyOutcome.RequireApproval => "require_approval",
        _ => "deny",
    };

    private static CaseOutput ToCaseOutput(EvaluatedOutput output) => new()
    {
        Abstained = output.Abstained,
        Answer = output.Answer,
        Citations = output.Citations,
        Actions = [.. output.Proposals.Where(p => p.Counts).Select(p => new ProposedAction(p.Action, p.Parameters))],
        LatencyMs = output.LatencyMs,
        Cost = output.Cost,
    };
}
