using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>One redacted value: what stands in the text instead, what kind it was, and the value itself.</summary>
public sealed record Redaction(string Placeholder, string Kind, string Value);

/// <summary>Text with personal data replaced by placeholders, and the replacements to restore where policy allows.</summary>
public sealed record RedactedText(string Text, IReadOnlyList<Redaction> Redactions)
{
    /// <summary>Puts back the values of the kinds in <paramref name="allowedKinds"/>; other placeholders stay.</summary>
    public string Restore(string text, IReadOnlySet<string> allowedKinds)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(allowedKinds);
        foreach (var r in Redactions.Where(r => allowedKinds.Contains(r.Kind)))
        {
            text = text.Replace(r.Placeholder, r.Value, StringComparison.Ordinal);
        }

        return text;
    }
}

/// <summary>
/// Finds personal data before text leaves for an external model: e-mail addresses, phone numbers (international
/// <c>+</c>/<c>00</c> or national <c>0</c> prefix, 8-15 digits), payment card numbers (13-19 digits passing the Luhn
/// check), IBANs (ISO 13616, mod-97 check) and patterns the manifest adds. Checksums keep order numbers and dates
/// from being taken for cards or IBANs. IP addresses (v4 and v6) too. The same value always gets the same placeholder within one text.
/// </summary>
public sealed partial class PersonalDataRedactor
{
    /// <summary>The built-in kinds, in the order they are looked for.</summary>
    public static readonly IReadOnlyList<string> BuiltInKinds = ["email", "iban", "card_number", "ip_address", "phone"];

    private readonly IReadOnlyList<(string Kind, Regex Pattern, Func<string, bool> Accept)> _detectors;

    /// <summary>A redactor for <paramref name="kinds"/> (built-in names) and <paramref name="customPatterns"/> (kind -> regex).</summary>
    public PersonalDataRedactor(IEnumerable<string> kinds, IReadOnlyDictionary<string, string>? customPatterns = null)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var wanted = kinds.ToHashSet(StringComparer.Ordinal);
        var unknown = wanted.Except(BuiltInKinds).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("Unknown kinds of personal data: " + string.Join(", ", unknown) + ". Known: " + string.Join(", ", BuiltInKinds), nameof(kinds));
        }

        var detectors = new List<(string, Regex, Func<string, bool>)>();
        foreach (var kind in BuiltInKinds.Where(wanted.Contains))
        {
            detectors.Add(kind switch
            {
                "email" => (kind, Email(), _ => true),
                "iban" => (kind, Iban(), IsIban),
                "card_number" => (kind, Card(), IsCardNumber),
                "ip_address" => (kind, IpAddress(), candidate => System.Net.IPAddress.TryParse(candidate, out _)),
                _ => (kind, Phone(), IsPhone),
            });
        }

        foreach (var (kind, pattern) in customPatterns ?? new Dictionary<string, string>())
        {
            detectors.Add((kind, new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(250)), _ => true));
        }

        _detectors = detectors;
    }

    /// <summary>Replaces every finding with a placeholder such as <c>[EMAIL_1]</c>.</summary>
    public RedactedText Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var redactions = new List<Redaction>();
        var byValue = new Dictionary<(string, string), string>();
        foreach (var (kind, pattern, accept) in _detectors)
        {
            text = pattern.Replace(text, match =>
            {
                if (!accept(match.Value))
                {
                    return match.Value;
                }

                if (!byValue.TryGetValue((kind, match.Value), out var placeholder))
                {
                    placeholder = $"[{kind.ToUpperInvariant()}_{redactions.Count(r => r.Kind == kind) + 1}]";
                    byValue[(kind, match.Value)] = placeholder;
                    redactions.Add(new Redaction(placeholder, kind, match.Value));
                }

                return placeholder;
            });
        }

        return new RedactedText(text, redactions);
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Iban();

    [GeneratedRegex(@"(?<![\w-])(?:[0-9][ -]?){12,18}[0-9](?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex Card();

    [GeneratedRegex(@"(?<![\w.:])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?![\w.])|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])", RegexOptions.CultureInvariant)]
    private static partial Regex IpAddress();

    [GeneratedRegex(@"(?<![\w+])(?:\+|00|0)[0-9](?:[ ()./-]{0,2}[0-9]){6,16}(?![\w])", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    private static string Digits(string text) => new([.. text.Where(char.IsAsciiDigit)]);

    /// <summary>ISO 13616: 15-34 characters, moved country code and check digits, the whole number mod 97 is 1.</summary>
    public static bool IsIban(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var compact = candidate.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        if (compact.Length is < 15 or > 34 || !compact.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        var rearranged = compact[4..] + compact[..4];
        var number = new StringBuilder();
        foreach (var c in rearranged)
        {
            number.Append(char.IsAsciiDigit(c) ? c.ToString() : (c - 'A' + 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return BigInteger.Parse(number.ToString(), System.Globalization.CultureInfo.InvariantCulture) % 97 == 1;
    }

    /// <summary>13-19 digits passing the Luhn check.</summary>
    public static bool IsCardNumber(string candidate)
    {
        var digits = Digits(candidate ?? "");
        if (digits.Length is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    private static bool IsPhone(string candidate) => Digits(candidate).Length is >= 8 and <= 15;
}
