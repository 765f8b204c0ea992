using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Evaluation;

/// <summary>What made a live case riskier than the routine, each raising its chance of review.</summary>
/// <param name="ConsequentialAction">A consequential action was proposed for the case.</param>
/// <param name="LowConfidence">Retrieval confidence was below the abstain threshold plus <see cref="ReviewSampling.ConfidenceMargin"/>.</param>
/// <param name="Abstained">The draft abstained.</param>
/// <param name="UnlikeGoldenSet">
/// The case shares too few terms with every golden case (<see cref="GoldenSimilarity"/>); false when the workflow has
/// no golden set to compare with.
/// </param>
public sealed record RiskSignals(bool ConsequentialAction = false, bool LowConfidence = false, bool Abstained = false, bool UnlikeGoldenSet = false)
{
    /// <summary>Whether <paramref name="confidence"/> counts as low against the manifest's abstain threshold.</summary>
    public static bool IsLowConfidence(double confidence, double abstainBelow) => confidence < abstainBelow + ReviewSampling.ConfidenceMargin;
}

/// <summary>A sampling decision and why: the rate it was drawn against, the weights that raised it, the draw.</summary>
/// <param name="Sampled">True when the case goes to review.</param>
/// <param name="BaseRate">The manifest's <c>review_sample_rate</c> (1 at L0 and L1).</param>
/// <param name="Weight">The product of the risk weights that applied (1 when none did).</param>
/// <param name="Rate">The chance the case had: base rate times weight, capped at 1.</param>
/// <param name="Draw">The case's keyed draw, 0..9,999; sampled when below <see cref="Rate"/> × 10,000.</param>
/// <param name="Reasons">The names of the risk signals that applied (<c>consequential_action</c>...), or <c>autonomy_level</c>.</param>
/// <param name="SecondReviewer">True when a second person must review it too (a keyed draw of its own).</param>
public sealed record SamplingDecision(bool Sampled, double BaseRate, double Weight, double Rate, int Draw, IReadOnlyList<string> Reasons, bool SecondReviewer);

/// <summary>
/// Which live cases people review. At L0 (drafts a person sends) and L1 (everything approved) every case is reviewed;
/// at L2 a share: the manifest's base rate multiplied by the weight of each risk signal present, capped at 1.
/// </summary>
/// <remarks>
/// The draw is HMAC-SHA256(salt, "review:" + case id), its first 8 bytes as an unsigned number mod 10,000: the same case
/// always gets the same verdict (a retried flow cannot sample it twice or un-sample it), and without the per-workflow
/// salt nobody can pick case ids that avoid review. The second-reviewer draw uses the same key over another label, so the
/// two are independent. Weights (documented in docs/evaluation.md):
/// consequential action x4, abstained x2, low confidence x2, unlike the golden set x2.
/// </remarks>
public static class ReviewSampling
{
    /// <summary>Draws are out of this many.</summary>
    public const int Buckets = 10_000;

    /// <summary>How far above the abstain threshold a confidence still counts as low.</summary>
    public const double ConfidenceMargin = 0.1;

    /// <summary>Default share of sampled cases a second person reviews too.</summary>
    public const double DefaultSecondReviewerShare = 0.1;

    /// <summary>Weight of a proposed consequential action.</summary>
    public const double ConsequentialWeight = 4;

    /// <summary>Weight of an abstention.</summary>
    public const double AbstainedWeight = 2;

    /// <summary>Weight of low retrieval confidence.</summary>
    public const double LowConfidenceWeight = 2;

    /// <summary>Weight of a case unlike every golden case.</summary>
    public const double UnlikeGoldenWeight = 2;

    /// <summary>Decides whether a case is reviewed, and by one or two people.</summary>
    /// <param name="caseId">The case.</param>
    /// <param name="salt">The workflow's secret salt (at least 16 bytes).</param>
    /// <param name="level">The workflow's autonomy level.</param>
    /// <param name="baseRate">The manifest's <c>review_sample_rate</c>, 0..1.</param>
    /// <param name="risk">The case's risk signals.</param>
    /// <param name="secondReviewerShare">The share of sampled cases that get a second reviewer, 0..1.</param>
    public static SamplingDecision Decide(string caseId, ReadOnlySpan<byte> salt, AutonomyLevel level, double baseRate, RiskSignals risk, double secondReviewerShare = DefaultSecondReviewerShare)
    {
        ArgumentException.ThrowIfNullOrEmpty(caseId);
        ArgumentNullException.ThrowIfNull(risk);
        if (salt.Length < 16)
        {
            throw new ArgumentException("The salt must be at least 16 bytes.", nameof(salt));
        }

        if (!(baseRate >= 0 && baseRate <= 1) || !(secondReviewerShare >= 0 && secondReviewerShare <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(baseRate), "Rates are between 0 and 1.");
        }

        var draw = Draw(salt, "review:" + caseId);
        var second = Draw(salt, "second:" + caseId) < Threshold(secondReviewerShare);
        if (level is AutonomyLevel.L0Draft or AutonomyLevel.L1ApproveAll)
        {
            return new SamplingDecision(true, 1, 1, 1, draw, ["autonomy_level"], second);
        }

        var reasons = new List<string>();
        var weight = 1.0;
        void Apply(bool present, double w, string name)
        {
            if (present)
            {
                weight *= w;
                reasons.Add(name);
            }
        }

        Apply(risk.ConsequentialAction, ConsequentialWeight, "consequential_action");
        Apply(risk.Abstained, AbstainedWeight, "abstained");
        Apply(risk.LowConfidence, LowConfidenceWeight, "low_confidence");
        Apply(risk.UnlikeGoldenSet, UnlikeGoldenWeight, "unlike_golden_set");
        var rate = Math.Min(1, baseRate * weight);
        return new SamplingDecision(draw < Threshold(rate), baseRate, weight, rate, draw, reasons, second);
    }

    /// <summary>The keyed draw of <paramref name="label"/>, 0..<see cref="Buckets"/>-1.</summary>
    public static int Draw(ReadOnlySpan<byte> salt, string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(label), mac);
        return (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(mac) % Buckets);
    }

    /// <summary>Draws below this are sampled: the rate in buckets, rounded to the nearest (a rate of 1 samples all).</summary>
    private static int Threshold(double rate) => (int)Math.Round(rate * Buckets, MidpointRounding.AwayFromZero);

    /// <summary>The reasons as the queue stores them (<c>consequential_action,low_confidence</c>).</summary>
    public static string FormatReasons(IReadOnlyList<string> reasons) => string.Join(',', reasons);

    /// <summary>A rate as stored and shown, invariant.</summary>
    public static string FormatRate(double rate) => rate.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>
/// A cheap "unlike the golden set" signal: the share of a case's terms (lower-case words of 3+ letters) found in the
/// golden case closest to it. A case whose best overlap is below <see cref="Threshold"/> is unlike every golden case.
/// </summary>
public static class GoldenSimilarity
{
    /// <summary>Below this best overlap, a case is unlike the golden set.</summary>
    public const double Threshold = 0.3;

    /// <summary>The terms of a text.</summary>
    public static HashSet<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        foreach (var c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }

            if (word.Length >= 3)
            {
                terms.Add(word.ToString());
            }

            word.Clear();
        }

        return terms;
    }

    /// <summary>The best share of <paramref name="caseText"/>'s terms found in one golden case's terms (0 with no golden case).</summary>
    public static double BestOverlap(string caseText, IEnumerable<IReadOnlySet<string>> golden)
    {
        ArgumentNullException.ThrowIfNull(golden);
        var terms = Terms(caseText);
        if (terms.Count == 0)
        {
            return 0;
        }

        var best = 0.0;
        foreach (var g in golden)
        {
            best = Math.Max(best, (double)terms.Count(g.Contains) / terms.Count);
        }

        return best;
    }

    /// <summary>True when the case is unlike every golden case; false when there are no golden cases (nothing to compare).</summary>
    public static bool IsUnlike(string caseText, IReadOnlyCollection<IReadOnlySet<string>> golden) =>
        golden.Count > 0 && BestOverlap(caseText, golden) < Threshold;
}
