using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Grounding;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// The abstention settings a sweep varies besides <c>abstain_below</c>: <c>retrieval.key_terms_missing_at</c>,
/// <c>retrieval.mentioned_below</c>, and the three read with meaning, <c>retrieval.agreed_meaning_at</c>,
/// <c>retrieval.meaning_far_below</c> and <c>retrieval.claim_far_below</c> (model-specific: a declared embedding model
/// needs its own); null or empty keeps
/// the manifest's value (the manifest's own value is always a row).
/// </summary>
public sealed record AbstentionSweep(IReadOnlyList<double>? KeyTermsMissingAt, IReadOnlyList<double>? MentionedBelow)
{
    /// <summary>No abstention setting varied.</summary>
    public static AbstentionSweep None { get; } = new(null, null);

    /// <summary><c>retrieval.agreed_meaning_at</c> values to try.</summary>
    public IReadOnlyList<double>? AgreedMeaningAt { get; init; }

    /// <summary><c>retrieval.meaning_far_below</c> values to try.</summary>
    public IReadOnlyList<double>? MeaningFarBelow { get; init; }

    /// <summary><c>retrieval.claim_far_below</c> values to try.</summary>
    public IReadOnlyList<double>? ClaimFarBelow { get; init; }
}

/// <summary>One setting of a sweep: how the golden set fares with it, and the bar's verdict.</summary>
public sealed record CalibrationRow
{
    /// <summary>The setting.</summary>
    public required CalibrationSetting Setting { get; init; }

    /// <summary>True when it is the manifest's own setting.</summary>
    public required bool Current { get; init; }

    /// <summary>Golden cases scored.</summary>
    public required int Cases { get; init; }

    /// <summary>Cases answered (not abstained).</summary>
    public required int Answered { get; init; }

    /// <summary>Share of cases answered.</summary>
    public double AnsweredShare => Cases == 0 ? 0 : (double)Answered / Cases;

    /// <summary>Metrics over the golden set with this setting.</summary>
    public required EvaluationMetrics Metrics { get; init; }

    /// <summary>The manifest's bar judged on <see cref="Metrics"/>.</summary>
    public required BarVerdict Verdict { get; init; }

    /// <summary>Each case's score with this setting.</summary>
    public required IReadOnlyList<CaseScore> Scores { get; init; }

    /// <summary>A metric overall.</summary>
    public MetricValue this[string metric] => Metrics.Overall[metric];
}

/// <summary>A finished sweep: a row per setting, the recommended setting (or the closest one and what it fails).</summary>
public sealed record CalibrationResult
{
    /// <summary>The workflow.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The published version swept, or null for a manifest file.</summary>
    public int? Version { get; init; }

    /// <summary>SHA-256 of the manifest.</summary>
    public required string ManifestHash { get; init; }

    /// <summary>SHA-256 of the golden set.</summary>
    public required string GoldenSetHash { get; init; }

    /// <summary>The manifest's setting.</summary>
    public required CalibrationSetting Current { get; init; }

    /// <summary>The bar in force.</summary>
    public required IReadOnlyList<AcceptanceCriterion> Bar { get; init; }

    /// <summary>Rows by top_k, then threshold.</summary>
    public required IReadOnlyList<CalibrationRow> Rows { get; init; }

    /// <summary>The setting that clears the bar with the highest answer accuracy, or null when none clears.</summary>
    public CalibrationRow? Recommended { get; init; }

    /// <summary>When none clears: the row failing the fewest criteria (then the most accurate); else null.</summary>
    public CalibrationRow? Closest { get; init; }

    /// <summary>Drafts made: one per case and top_k, whatever the number of thresholds.</summary>
    public required int Drafts { get; init; }
}

/// <summary>
/// <c>eval calibrate</c>: sweeps <c>retrieval.abstain_below</c> (and <c>top_k</c>, <c>key_terms_missing_at</c> and
/// <c>mentioned_below</c>) over the golden set. Retrieval and the
/// draft depend on top_k, so each case is drafted once per top_k, with the threshold off; the abstention threshold is
/// then applied to the draft's confidence for every threshold, because in <see cref="GroundedAnswerer"/> it is the
/// first gate before the engine and nothing after it reads it: a draft whose confidence is below the threshold is an
/// abstention (<c>low_retrieval_confidence</c>), any other draft is exactly what the answerer would have produced.
/// Actions are then proposed and decided per setting, as <see cref="EvaluationRunner"/> does, and nothing is executed.
/// </summary>
public static class Calibration
{
    /// <summary>Drafts, then scores every setting; <paramref name="progress"/> hears drafts finished.</summary>
    public static async Task<CalibrationResult> RunAsync(EvaluationSubject subject, IReadOnlyList<int> topK, IReadOnlyList<double> thresholds,
        int parallelism, TimeProvider time, IProgress<int>? progress = null, CancellationToken cancellationToken = default,
        Skybridge.Grounding.Retrieval.Embeddings.DenseRetrieval? dense = null, AbstentionSweep? abstention = null)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(time);
        var manifest = subject.Manifest;
        var current = new CalibrationSetting(manifest.Retrieval.TopK, manifest.Retrieval.AbstainBelow);
        var settings = CalibrationGrid.Combine(topK, thresholds, current);
        // The abstention checks decided before the confidence gate (key terms missing, names merely mentioned) change
        // the draft itself, so each of their values is drafted anew, like each top_k; thresholds reuse those drafts.
        var sweep = abstention ?? AbstentionSweep.None;
        // Each varied setting multiplies the grid: its values and the manifest's own, or (not varied) null, the manifest's.
        var r = manifest.Retrieval;
        var varied = new (IReadOnlyList<double>? Swept, double Manifest, Func<CalibrationSetting, double?, CalibrationSetting> Set)[]
        {
            (sweep.KeyTermsMissingAt, r.KeyTermsMissingAt, (s, v) => s with { KeyTermsMissingAt = v }),
            (sweep.MentionedBelow, r.MentionedBelow, (s, v) => s with { MentionedBelow = v }),
            (sweep.AgreedMeaningAt, r.AgreedMeaningAt, (s, v) => s with { AgreedMeaningAt = v }),
            (sweep.MeaningFarBelow, r.MeaningFarBelow, (s, v) => s with { MeaningFarBelow = v }),
            (sweep.ClaimFarBelow, r.ClaimFarBelow, (s, v) => s with { ClaimFarBelow = v }),
        };
        foreach (var (swept, manifestValue, set) in varied)
        {
            List<double?> values = swept is { Count: > 0 } ? [.. swept.Select(v => (double?)v).Append(manifestValue).Distinct().Order()] : [null];
            settings = [.. settings.SelectMany(s => values.Select(v => set(s, v)))];
            current = set(current, values[0] is null ? null : manifestValue);
        }

        var cases = subject.GoldenSet.Cases;
        using var index = new PassageIndex(dense?.For(manifest.Retrieval.Embedding));
        await index.UpsertAsync(subject.Documents, cancellationToken).ConfigureAwait(false);
        using var engine = AnswerEngines.Create(manifest.Model);
        var policy = CompiledPolicy.Compile(manifest);
        var scorer = new GoldenScorer(manifest.Actions.Where(a => a.Consequence == ActionConsequence.Consequential).Select(a => a.Name).ToList(), subject.Documents.Select(d => d.Path));
        var done = 0;
        var rows = new List<CalibrationRow>(settings.Count);
        // Settings that differ only in the threshold share their drafts.
        foreach (var group in settings.GroupBy(s => s with { AbstainBelow = 0 }))
        {
            // One answerer per top_k (and abstention setting) over the shared index, with the threshold off: every
            // threshold reuses its drafts.
            var open = manifest with
            {
                Retrieval = manifest.Retrieval with
                {
                    TopK = group.Key.TopK,
                    AbstainBelow = 0,
                    KeyTermsMissingAt = group.Key.KeyTermsMissingAt ?? manifest.Retrieval.KeyTermsMissingAt,
                    MentionedBelow = group.Key.MentionedBelow ?? manifest.Retrieval.MentionedBelow,
                    AgreedMeaningAt = group.Key.AgreedMeaningAt ?? manifest.Retrieval.AgreedMeaningAt,
                    MeaningFarBelow = group.Key.MeaningFarBelow ?? manifest.Retrieval.MeaningFarBelow,
                    ClaimFarBelow = group.Key.ClaimFarBelow ?? manifest.Retrieval.ClaimFarBelow,
                },
            };
            var answerer = new GroundedAnswerer(open, index, engine);
            // A case of several questions is judged question by question when a threshold stops it as a whole: the
            // shortcut cannot replay that, so those cases are answered again at each threshold (a tenth of a golden set).
            var atThreshold = new Dictionary<double, GroundedAnswerer>();
            var drafts = new (Draft Draft, double LatencyMs)[cases.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    var start = Stopwatch.GetTimestamp();
                    var draft = await answerer.AnswerAsync(cases[i].Input, ct).ConfigureAwait(false);
                    drafts[i] = (draft, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    var finished = Interlocked.Increment(ref done);
                    progress?.Report(finished);
                }).ConfigureAwait(false);

            foreach (var setting in group)
            {
                var scores = new List<CaseScore>(cases.Count);
                var answered = 0;
                for (var i = 0; i < cases.Count; i++)
                {
                    var draft = ReplaysByAnswerer(drafts[i].Draft)
                        ? await AnswererAt(setting.AbstainBelow).AnswerAsync(cases[i].Input, cancellationToken).ConfigureAwait(false)
                        : ApplyThreshold(drafts[i].Draft, setting.AbstainBelow, open.Retrieval.AgreedMeaningAt);
                    answered += draft.Abstained ? 0 : 1;
                    var proposals = EvaluationRunner.Propose(policy, manifest, draft, cases[i].Attributes, cases[i].Id, time);
                    scores.Add(scorer.Score(cases[i], Output(draft, proposals, drafts[i].LatencyMs)));
                }

                var metrics = EvaluationMetrics.Compute(scores);

                GroundedAnswerer AnswererAt(double threshold)
                {
                    if (!atThreshold.TryGetValue(threshold, out var at))
                    {
                        at = new GroundedAnswerer(open with { Retrieval = open.Retrieval with { AbstainBelow = threshold } }, index, engine);
                        atThreshold[threshold] = at;
                    }

                    return at;
                }
                rows.Add(new CalibrationRow
                {
                    Setting = setting,
                    Current = group.Key == current with { AbstainBelow = 0 } && Math.Abs(setting.AbstainBelow - Math.Round(current.AbstainBelow, 4)) < 1e-9,
                    Cases = cases.Count,
                    Answered = answered,
                    Metrics = metrics,
                    Verdict = BarVerdict.Evaluate(manifest.AcceptanceBar, metrics),
                    Scores = scores,
                });
            }
        }

        var (recommended, closest) = Choose(rows);
        return new CalibrationResult
        {
            WorkflowId = subject.WorkflowId,
            Version = subject.Version,
            ManifestHash = subject.ManifestHash,
            GoldenSetHash = subject.GoldenSet.Sha256,
            Current = current,
            Bar = manifest.AcceptanceBar,
            Rows = rows,
            Recommended = recommended,
            Closest = closest,
            Drafts = done,
        };
    }

    /// <summary>
    /// Whether the draft made with the threshold off cannot be turned into the one made at a threshold by
    /// <see cref="ApplyThreshold(Draft, double, double)"/>: a case of several questions, not decided before the
    /// confidence gate, is judged question by question when the gate stops it as a whole, each question on its own
    /// evidence, which the case's draft does not carry. Calibration answers such a case again at each threshold.
    /// </summary>
    /// <remarks>
    /// A case of several that abstained as a whole on its evidence (<c>low_retrieval_confidence</c> with no passage over
    /// <c>min_score</c>, or <c>meaning_far</c>) is replayed too: with the threshold off it abstains because every question
    /// passed alone, and a higher threshold can stop one of them and answer the other.
    /// </remarks>
    public static bool ReplaysByAnswerer(Draft open)
    {
        ArgumentNullException.ThrowIfNull(open);
        return open.Questions >= 2
            && !(open.Reason is { } reason && GroundedAnswerer.DecidedBeforeConfidence.Contains(reason) && !JudgedPerQuestion.Contains(reason));
    }

    /// <summary>The evidence gates a case of several questions failing as a whole is judged on again question by question.</summary>
    private static readonly HashSet<string> JudgedPerQuestion = new(StringComparer.Ordinal) { "low_retrieval_confidence", "meaning_far" };

    /// <summary>
    /// The draft the answerer makes with <c>abstain_below = <paramref name="abstainBelow"/></c>, from the draft it made
    /// with the threshold off (for a case of one question; see <see cref="ReplaysByAnswerer"/>): below the threshold it abstains for low retrieval confidence (as
    /// <see cref="GroundedAnswerer"/>'s first gate does, before the engine is asked); otherwise nothing changes.
    /// </summary>
    public static Draft ApplyThreshold(Draft draft, double abstainBelow) => ApplyThreshold(draft, abstainBelow, agreedMeaningAt: 1.01);

    /// <summary>
    /// As <see cref="ApplyThreshold(Draft, double)"/>, with the manifest's <c>retrieval.agreed_meaning_at</c>: a draft whose
    /// rankings agree on a page close enough in meaning passes below the threshold, as in <see cref="GroundedAnswerer"/>.
    /// </summary>
    public static Draft ApplyThreshold(Draft draft, double abstainBelow, double agreedMeaningAt)
    {
        ArgumentNullException.ThrowIfNull(draft);
        // No sources, no passage over min_score, or a question the sources cannot answer (another language, missing
        // key terms...): abstained before the threshold was read, whatever it is.
        if ((draft.Reason is { } reason && GroundedAnswerer.DecidedBeforeConfidence.Contains(reason)) || draft.Confidence >= abstainBelow
            || GroundedAnswerer.PassesByMeaning(draft.AgreedSimilarity, agreedMeaningAt))
        {
            return draft;
        }

        return draft with
        {
            Answer = "",
            Abstained = true,
            Reason = "low_retrieval_confidence",
            ReasonDetail = $"The best passage covers {ReasonFigures.Beside(draft.Confidence, abstainBelow)} of the question; the manifest asks for at least {ReasonFigures.Bar(abstainBelow)}.",
            Claims = [],
            CitationCoverage = 0,
            UnsupportedClaims = 0,
            ModelInputHash = null,
            ModelOutputHash = null,
            Redacted = [],
        };
    }

    /// <summary>
    /// The recommendation: of the rows that clear the bar, the highest answer accuracy (then the most answered, the
    /// smaller top_k, the lower threshold). When none clears: of the rows where every criterion could be measured (else of
    /// all), the one failing the fewest criteria, then the most accurate.
    /// </summary>
    public static (CalibrationRow? Recommended, CalibrationRow? Closest) Choose(IReadOnlyList<CalibrationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var recommended = rows.Where(r => r.Verdict.Clears)
            .OrderByDescending(r => r[Metrics.AnswerAccuracy].Value ?? -1)
            .ThenByDescending(r => r.Answered)
            .ThenBy(r => r.Setting.TopK)
            .ThenBy(r => r.Setting.AbstainBelow)
            .ThenBy(r => r.Setting.KeyTermsMissingAt)
            .ThenBy(r => r.Setting.MentionedBelow)
            .ThenBy(r => r.Setting.AgreedMeaningAt)
            .ThenBy(r => r.Setting.MeaningFarBelow)
            .ThenBy(r => r.Setting.ClaimFarBelow)
            .FirstOrDefault();
        if (recommended is not null)
        {
            return (recommended, null);
        }

        // A setting that answers too few cases to measure cannot clear whatever its quality: it is the closest only
        // when every setting is like that.
        var closest = rows
            .OrderBy(r => r.Verdict.Criteria.Any(c => c.Status == CriterionStatus.NotEnoughCases) ? 1 : 0)
            .ThenBy(r => r.Verdict.Criteria.Count(c => !c.Cleared))
            .ThenByDescending(r => r[Metrics.AnswerAccuracy].Value ?? -1)
            .ThenByDescending(r => r.Answered)
            .ThenBy(r => r.Setting.TopK)
            .ThenBy(r => r.Setting.AbstainBelow)
            .FirstOrDefault();
        return (null, closest);
    }

    /// <summary>The Wilson interval of an overall proportion, at the confidence the bar states for it (else 95%).</summary>
    public static ProportionInterval? Interval(CalibrationResult result, CalibrationRow row, string metric)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(row);
        var value = row[metric];
        if (value is not { Kind: MetricKind.Proportion, Trials: > 0 })
        {
            return null;
        }

        var confidence = result.Bar.FirstOrDefault(c => c.Tag is null && c.Metric == metric)?.Confidence ?? AcceptanceCriterion.DefaultConfidence;
        return Wilson.Interval(value.Successes, value.Trials, confidence);
    }

    /// <summary>The metrics the trade-off is read from, in table order.</summary>
    public static IReadOnlyList<string> TradeOffMetrics { get; } =
        [Metrics.AnswerAccuracy, Metrics.AbstentionRecall, Metrics.FalseAbstentionRate, Metrics.CitationPrecision];

    /// <summary>The sweep as JSON: every row with its metrics, intervals and verdict, and the recommendation.</summary>
    public static JsonObject Json(CalibrationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        // The settings a sweep varies, under their JSON names (null: not varied, the manifest's).
        static (string Key, double? Value)[] Varied(CalibrationSetting s) =>
        [
            ("keyTermsMissingAt", s.KeyTermsMissingAt), ("mentionedBelow", s.MentionedBelow), ("agreedMeaningAt", s.AgreedMeaningAt),
            ("meaningFarBelow", s.MeaningFarBelow), ("claimFarBelow", s.ClaimFarBelow),
        ];

        JsonObject Setting(CalibrationSetting s)
        {
            var o = new JsonObject { ["topK"] = s.TopK, ["abstainBelow"] = s.AbstainBelow };
            foreach (var (key, value) in Varied(s).Where(v => v.Value is not null))
            {
                o[key] = value;
            }

            return o;
        }

        JsonArray Failing(CalibrationRow row) => [.. row.Verdict.Criteria.Where(c => !c.Cleared).Select(c => (JsonNode)new JsonObject
        {
            ["metric"] = c.Criterion.Metric,
            ["tag"] = c.Criterion.Tag,
            ["threshold"] = EvaluationEvidence.Threshold(c.Criterion),
            ["value"] = c.Measured.Value,
            ["status"] = EvaluationEvidence.Status(c.Status),
            ["reason"] = c.Reason,
        })];
        var rows = new JsonArray();
        foreach (var row in result.Rows)
        {
            var metrics = new JsonObject();
            foreach (var name in TradeOffMetrics)
            {
                var v = row[name];
                var i = Interval(result, row, name);
                metrics[name] = new JsonObject
                {
                    ["value"] = v.Value, ["successes"] = v.Successes, ["trials"] = v.Trials, ["lower"] = i?.Lower, ["upper"] = i?.Upper,
                };
            }

            // Every row names every setting a sweep can vary, null where this one did not.
            var json = new JsonObject { ["topK"] = row.Setting.TopK, ["abstainBelow"] = row.Setting.AbstainBelow };
            foreach (var (key, value) in Varied(row.Setting))
            {
                json[key] = value;
            }

            json["current"] = row.Current;
            json["cases"] = row.Cases;
            json["answered"] = row.Answered;
            json["answeredShare"] = row.AnsweredShare;
            json["metrics"] = metrics;
            json["clears"] = row.Verdict.Clears;
            json["failing"] = Failing(row);
            rows.Add(json);
        }

        return new JsonObject
        {
            ["workflow"] = result.WorkflowId,
            ["manifestHash"] = result.ManifestHash,
            ["goldenSetHash"] = result.GoldenSetHash,
            ["current"] = Setting(result.Current),
            ["drafts"] = result.Drafts,
            ["rows"] = rows,
            ["recommended"] = result.Recommended is { } r ? Setting(r.Setting) : null,
            ["closest"] = result.Closest is { } c ? new JsonObject { ["setting"] = Setting(c.Setting), ["failing"] = Failing(c) } : null,
        };
    }

    private static CaseOutput Output(Draft draft, IReadOnlyList<SandboxProposal> proposals, double latencyMs)
    {
        // Drafts cite a document by its path under the source folder, the form the golden set's `cite` uses.
        var citations = draft.Claims.SelectMany(c => c.Citations).Select(c => c.Document).Distinct(StringComparer.Ordinal).ToList();
        return new CaseOutput
        {
            Abstained = draft.Abstained,
            Answer = draft.Answer,
            Citations = citations,
            Actions = [.. proposals.Where(p => p.Counts).Select(p => new ProposedAction(p.Action, p.Parameters))],
            LatencyMs = Math.Round(latencyMs, 3),
            Cost = 0,
        };
    }
}
