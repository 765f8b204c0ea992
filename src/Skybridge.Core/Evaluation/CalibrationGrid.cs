using System.Globalization;

namespace Skybridge.Core.Evaluation;

/// <summary>One retrieval setting a calibration sweep tries: passages retrieved and the abstention threshold.</summary>
/// <param name="TopK">Passages retrieved per case (<c>retrieval.top_k</c>).</param>
/// <param name="AbstainBelow">Confidence below which the draft abstains (<c>retrieval.abstain_below</c>).</param>
public readonly record struct CalibrationSetting(int TopK, double AbstainBelow)
{
    /// <summary><c>retrieval.key_terms_missing_at</c> of this row when the sweep varies it, else null (the manifest's).</summary>
    public double? KeyTermsMissingAt { get; init; }

    /// <summary><c>retrieval.mentioned_below</c> of this row when the sweep varies it, else null (the manifest's).</summary>
    public double? MentionedBelow { get; init; }

    /// <summary><c>retrieval.agreed_meaning_at</c> of this row when the sweep varies it, else null (the manifest's).</summary>
    public double? AgreedMeaningAt { get; init; }

    /// <summary><c>retrieval.meaning_far_below</c> of this row when the sweep varies it, else null (the manifest's).</summary>
    public double? MeaningFarBelow { get; init; }

    /// <summary><c>retrieval.claim_far_below</c> of this row when the sweep varies it, else null (the manifest's).</summary>
    public double? ClaimFarBelow { get; init; }
}

/// <summary>
/// The settings a calibration sweeps: every <c>top_k</c> with every <c>abstain_below</c>. Parsed from the CLI's
/// <c>0.1:0.9:0.05</c> ranges and <c>3,5,8</c> lists; problems are reported as text, never thrown.
/// </summary>
public static class CalibrationGrid
{
    /// <summary>
    /// Thresholds from <c>FROM:TO:STEP</c> (both ends included) or a comma list (<c>0.2,0.35,0.5</c>); each in 0..1,
    /// rounded to four places so <c>0.1 + 0.05 * 3</c> prints as <c>0.25</c>.
    /// </summary>
    public static IReadOnlyList<double>? ParseThresholds(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        var values = new List<double>();
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length == 3)
        {
            if (!TryNumber(parts[0], out var from) || !TryNumber(parts[1], out var to) || !TryNumber(parts[2], out var step) || step <= 0 || to < from)
            {
                problem = $"'{text}' is not a range FROM:TO:STEP with FROM <= TO and STEP > 0 (e.g. 0.1:0.9:0.05).";
                return null;
            }

            // Counted in steps, not by adding floats: 0.1:0.9:0.05 is exactly 17 values.
            var count = (int)Math.Floor(((to - from) / step) + 1e-9) + 1;
            if (count > 1000)
            {
                problem = $"'{text}' has {count} thresholds; at most 1000.";
                return null;
            }

            for (var i = 0; i < count; i++)
            {
                values.Add(Math.Round(from + (i * step), 4));
            }
        }
        else if (parts.Length == 1)
        {
            foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!TryNumber(item, out var v))
                {
                    problem = $"'{item}' is not a number.";
                    return null;
                }

                values.Add(Math.Round(v, 4));
            }
        }
        else
        {
            problem = $"'{text}' is neither a range FROM:TO:STEP nor a comma list.";
            return null;
        }

        if (values.Count == 0)
        {
            problem = "no thresholds given.";
            return null;
        }

        var outside = values.Where(v => v is < 0 or > 1).ToList();
        if (outside.Count > 0)
        {
            problem = $"abstain_below is a confidence between 0 and 1; {outside[0].ToString(CultureInfo.InvariantCulture)} is not.";
            return null;
        }

        return [.. values.Distinct().Order()];
    }

    /// <summary>Passage counts from a comma list (<c>3,5,8</c>), each 1..50 as the manifest allows.</summary>
    public static IReadOnlyList<int>? ParseTopK(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        var values = new List<int>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k is < 1 or > 50)
            {
                problem = $"top_k '{item}' is not a whole number from 1 to 50.";
                return null;
            }

            values.Add(k);
        }

        if (values.Count == 0)
        {
            problem = "no top_k given.";
            return null;
        }

        return [.. values.Distinct().Order()];
    }

    /// <summary>Every combination, by top_k then threshold, with <paramref name="current"/> added when the grid lacks it.</summary>
    public static IReadOnlyList<CalibrationSetting> Combine(IReadOnlyList<int> topK, IReadOnlyList<double> thresholds, CalibrationSetting? current)
    {
        ArgumentNullException.ThrowIfNull(topK);
        ArgumentNullException.ThrowIfNull(thresholds);
        var settings = new HashSet<CalibrationSetting>(topK.SelectMany(k => thresholds.Select(t => new CalibrationSetting(k, Math.Round(t, 4)))));
        if (current is { } c)
        {
            // The manifest's own setting is always a row: the sweep is read against it.
            settings.Add(c with { AbstainBelow = Math.Round(c.AbstainBelow, 4) });
        }

        return [.. settings.OrderBy(s => s.TopK).ThenBy(s => s.AbstainBelow)];
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
}
