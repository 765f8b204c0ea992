using System.Globalization;
using System.Text;

namespace Skybridge.Core.Evaluation;

/// <summary>The text operations scoring needs, written as single passes (scoring runs once per case and repeat).</summary>
public static class AnswerText
{
    /// <summary>Lower-case (invariant), whitespace runs collapsed to one space, trimmed.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    /// <summary>
    /// True when a number in <paramref name="text"/> is within <paramref name="tolerance"/> of <paramref name="value"/>.
    /// A run of digits with '.' or ',' separators is read both ways a person might mean it: the last separator as
    /// the decimal mark ("34,90" and "1.234,56"), and every separator as grouping ("1,234"), so "34.9", "34.90" and
    /// "34,90" all match 34.90 whatever the writer's locale.
    /// </summary>
    public static bool ContainsNumber(string text, decimal value, decimal tolerance)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var lastSeparator = -1;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || ((text[i] is '.' or ',') && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))))
            {
                if (text[i] is '.' or ',')
                {
                    lastSeparator = i;
                }

                i++;
            }

            var negative = start > 0 && text[start - 1] == '-' && (start == 1 || !char.IsLetterOrDigit(text[start - 2]));
            var token = text.AsSpan(start, i - start);
            if (Matches(token, lastSeparator - start, negative, value, tolerance))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(ReadOnlySpan<char> token, int lastSeparator, bool negative, decimal value, decimal tolerance)
    {
        Span<char> digits = stackalloc char[Math.Min(token.Length + 1, 64)];
        if (token.Length + 1 > digits.Length)
        {
            return false;
        }

        // Every separator as grouping: "1,234" -> 1234.
        var length = 0;
        foreach (var c in token)
        {
            if (char.IsAsciiDigit(c))
            {
                digits[length++] = c;
            }
        }

        if (Close(digits[..length], negative, value, tolerance))
        {
            return true;
        }

        if (lastSeparator < 0)
        {
            return false;
        }

        // The last separator as the decimal mark: "34,90" -> 34.90, "1.234,56" -> 1234.56.
        length = 0;
        for (var j = 0; j < token.Length; j++)
        {
            if (char.IsAsciiDigit(token[j]))
            {
                digits[length++] = token[j];
            }
            else if (j == lastSeparator)
            {
                digits[length++] = '.';
            }
        }

        return Close(digits[..length], negative, value, tolerance);
    }

    private static bool Close(ReadOnlySpan<char> number, bool negative, decimal value, decimal tolerance)
    {
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        return Math.Abs((negative ? -parsed : parsed) - value) <= tolerance;
    }
}
