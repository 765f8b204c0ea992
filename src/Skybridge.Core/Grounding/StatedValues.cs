using System.Globalization;
using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>
/// A value with its unit as a text states it: 750 EUR, 8 months, 3 kg, 2 GB, 8:30. <paramref name="Dimension"/> is what
/// the unit measures, so values in other units of the same measure compare (weeks with days, GB with terabytes); each
/// currency is a dimension of its own, and a number without a unit is a count.
/// </summary>
/// <param name="Value">The number as written (a thousand for "1k"; a range's lower end).</param>
/// <param name="Dimension">What the unit measures: a currency code, "time", "clock", "bytes", "mass", "length", "percent" or "count".</param>
/// <param name="Bound">True when the text states it as a limit: a range ("from 10 to 500 EUR", "3-5 working days"), a
/// minimum or maximum ("orders over 100 EUR", "up to 2 years", "at most 125", "within 30 days").</param>
public readonly record struct StatedValue(double Value, string Dimension, bool Bound);

/// <summary>
/// Reads the values a text states and the limits a page states. A person who reads "Can I buy a gift card for 750 EUR?"
/// against a page compares the 750 EUR with the page's range ("any amount from 10 to 500 EUR") and quotes the sentence
/// that decides it, whatever other words the page's sentences share with the question. Pure rules, no model.
/// </summary>
public static partial class StatedValues
{
    /// <summary>The values <paramref name="text"/> states, each with its dimension, and whether it is stated as a limit.</summary>
    public static IReadOnlyList<StatedValue> Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new List<StatedValue>();
        foreach (Match m in Quantity().Matches(text))
        {
            if (Dimension(m) is not { } dimension)
            {
                continue;
            }

            var after = text[(m.Index + m.Length)..Math.Min(text.Length, m.Index + m.Length + 20)];
            // "31 December 2029" is a date, not a count of 31.
            if (dimension == "count" && MonthAfter().IsMatch(after))
            {
                continue;
            }

            var number = m.Groups["clock"].Success ? m.Groups["clock"].Value[..m.Groups["clock"].Value.IndexOf(':', StringComparison.Ordinal)] : m.Groups["number"].Value.Replace(",", ".", StringComparison.Ordinal);
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                value = NumberWords.TryGetValue(number, out var word) ? word : 0;
            }

            value *= m.Groups["thousand"].Success ? 1000 : 1;
            var before = text[Math.Max(0, m.Index - 40)..m.Index];
            var bound = m.Groups["to"].Success || BoundBefore().IsMatch(before) || BoundAfter().IsMatch(after);
            values.Add(new StatedValue(value, dimension, bound));
        }

        return values;
    }

    /// <summary>
    /// The dimensions <paramref name="sentence"/> states a limit in, when its words or its table's
    /// <paramref name="header"/> ("Destination | Cost | Free from") say its values are limits.
    /// </summary>
    public static IReadOnlySet<string> LimitsOf(string sentence, string? header = null)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var values = Of(sentence);
        var rowOfLimits = header is not null && LimitHeader().IsMatch(header);
        return values.Where(v => v.Bound || rowOfLimits).Select(v => v.Dimension).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// True when <paramref name="sentence"/> states a limit (a range, a minimum, a maximum, a threshold) in a dimension
    /// of a value the case states (<paramref name="stated"/>): the sentence that decides the case's value.
    /// </summary>
    public static bool Decides(IReadOnlyCollection<StatedValue> stated, string sentence, string? header = null)
    {
        ArgumentNullException.ThrowIfNull(stated);
        return stated.Count > 0 && LimitsOf(sentence, header).Overlaps(stated.Select(v => v.Dimension));
    }

    private static string? Dimension(Match m)
    {
        if (m.Groups["clock"].Success)
        {
            return "clock";
        }

        if (m.Groups["currency"].Success || m.Groups["pre"].Success)
        {
            var code = (m.Groups["currency"].Success ? m.Groups["currency"].Value : m.Groups["pre"].Value).ToUpperInvariant();
            return code switch
            {
                "€" or "EURO" or "EUROS" => "EUR",
                "$" or "DOLLAR" or "DOLLARS" => "USD",
                "£" or "POUND" or "POUNDS" => "GBP",
                _ => code,
            };
        }

        var unit = m.Groups["unit"].Value.ToUpperInvariant();
        if (unit.Length == 0)
        {
            // A number that is part of a name, a version or a code (SO-491077, 3.37.0, VARCHAR(10), 2026) counts nothing.
            // A year ("since 2019", "March 2026") is a point in time, not a count.
            var digits = m.Groups["number"].Value;
            return digits.Length > 0 && char.IsDigit(digits[0]) && !Year().IsMatch(digits) ? "count" : null;
        }

        return unit switch
        {
            "%" or "PERCENT" or "PER CENT" => "percent",
            "KG" or "G" or "GRAMS" or "KILOGRAMS" or "KILOS" => "mass",
            "M" or "CM" or "MM" or "KM" or "METRES" or "METERS" or "METRE" or "METER" => "length",
            "BYTES" or "BYTE" or "KB" or "MB" or "GB" or "TB" or "KIB" or "MIB" or "GIB" or "TIB" or "KILOBYTES" or "MEGABYTES" or "GIGABYTES" or "TERABYTES" or "PETABYTES" => "bytes",
            _ => "time",
        };
    }

    private static readonly Dictionary<string, double> NumberWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8,
        ["nine"] = 9, ["ten"] = 10, ["twelve"] = 12, ["a"] = 1, ["an"] = 1,
    };

    // A number with its unit: a currency before or after it, a clock time, a duration (English, German, French, Spanish,
    // Dutch), a size, a weight, a length, a percentage; or a bare number that is not part of a code, a version or a date
    // (no letter, hyphen, dot or digit run joined to it). "10 to 500 EUR" and "3-5 working days" are one range.
    [GeneratedRegex(@"(?<clock>\b\d{1,2}:\d{2}(?:\s*(?<to>-|–|to|until)\s*\d{1,2}:\d{2})?\b)|(?<pre>[€$£]|\b(?:EUR|USD|GBP|CHF)\b)\s?(?<number>\d+(?:[.,]\d+)?)(?<thousand>k\b)?|(?<![\w.\-/:]|\w\()(?<number>\d+(?:[.,]\d+)?|(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b)(?<thousand>[kK]\b)?(?:\s*(?<to>-|–|to|and|bis|à|a|tot)\s*\d+(?:[.,]\d+)?)?(?:\s*(?<currency>[€$£]|\b(?:EUR|USD|GBP|CHF|euros?|dollars?|pounds?)\b)|\s*(?<unit>%|\bper\s*cent\b|\b(?:working\s+|business\s+|calendar\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|tage?n?|wochen?|monate?n?|jahre?n?|jours?|semaines?|mois|ans?|días?|dias?|semanas?|meses|mes|años?|dagen|dag|weken|week|maanden|maand|jaren|jaar)\b|\b(?:k?g|grams|kilograms|kilos|c?m|mm|km|metres?|meters?)\b|\b(?:bytes?|[KMGT]i?B|kilobytes|megabytes|gigabytes|terabytes|petabytes)\b))?(?![\w\-.:/]*\d)(?![\w\-/]|[.:,]\w)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Quantity();

    // What makes a number a limit when it is written before it: "from", "up to", "at most", "over", "within", "more
    // than", "maximum", "cannot be increased above", "fewer than", "no more than", "before".
    [GeneratedRegex(@"\b(from|between|up\s+to|at\s+most|at\s+least|at\s+the\s+most|no\s+more\s+than|not\s+more\s+than|more\s+than|less\s+than|fewer\s+than|over|above|below|under|beyond|exceeds?|exceeding|within|before|after|until|max(imum)?|min(imum)?|limit(ed)?(\s+to)?|never\s+(more|less)\s+than|ab|bis|jusqu'à|hasta|tot)(\s+(of|is|at|to))?\s*[€$£]?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BoundBefore();

    // ... or after it: "100 EUR or more", "2 GB max", "75 EUR and over".
    [GeneratedRegex(@"^\s*(or\s+(more|less|fewer|over|above|under|longer|later)|and\s+(over|above|up|more)|max(imum)?\b|at\s+most|min(imum)?\b|\+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BoundAfter();

    [GeneratedRegex(@"^\s*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthAfter();

    [GeneratedRegex(@"^(19|20)\d\d$")]
    private static partial Regex Year();

    // A table column of limits: "Free from", "Max", "Minimum", "Limit", "Up to", "Threshold".
    [GeneratedRegex(@"\b(from|max(imum)?|min(imum)?|limits?|up\s+to|threshold|at\s+most|at\s+least)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LimitHeader();
}
