using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Core.Text;

namespace Skybridge.Core.Ledger;

/// <summary>
/// The JSON Canonicalization Scheme of RFC 8785, so that a ledger event hashes to the same bytes wherever it is
/// serialized: members sorted by UTF-16 code units (§3.2.3), no whitespace (§3.2.1), strings with the minimal escaping
/// of ECMAScript JSON.stringify (§3.2.2.2), numbers as ECMAScript Number.prototype.toString (§3.2.2.3), UTF-8 (§3.2.4).
/// </summary>
public static class CanonicalJson
{
    /// <summary>The canonical UTF-8 bytes of <paramref name="node"/> (<c>null</c> is the JSON literal null).</summary>
    /// <exception cref="ArgumentException">NaN, an infinity or a lone surrogate, none of which I-JSON can carry (RFC 8785 §3.2.2).</exception>
    public static byte[] Serialize(JsonNode? node) => Encoding.UTF8.GetBytes(ToCanonicalString(node));

    /// <summary>The canonical text of <paramref name="node"/>.</summary>
    /// <exception cref="ArgumentException">NaN, an infinity or a lone surrogate.</exception>
    public static string ToCanonicalString(JsonNode? node)
    {
        // Each thread keeps its builder (the action path canonicalises every proposal's parameters): one that has grown
        // once instead of a new one growing chunk by chunk. Taken out while in use, so a nested call gets its own.
        var builder = ThreadBuilder.Take(256);
        try
        {
            Write(builder, node);
            return builder.ToString();
        }
        finally
        {
            ThreadBuilder.Keep(builder);
        }
    }

    /// <summary>Serializes <paramref name="value"/> with System.Text.Json, then canonicalizes the result.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode("Uses reflection-based JsonSerializer.SerializeToNode unless options carry a source-generated TypeInfoResolver.")]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("Uses reflection-based JsonSerializer.SerializeToNode unless options carry a source-generated TypeInfoResolver.")]
    public static byte[] SerializeObject<T>(T value, JsonSerializerOptions? options = null) =>
        Serialize(JsonSerializer.SerializeToNode(value, options));

    /// <summary>ECMAScript Number.prototype.toString of a double, as RFC 8785 §3.2.2.3 requires.</summary>
    /// <exception cref="ArgumentException">NaN or an infinity.</exception>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("RFC 8785 §3.2.2.3: NaN and Infinity are not valid JSON numbers.", nameof(value));
        }

        if (value == 0)
        {
            return "0"; // Also -0, which ECMAScript prints as 0.
        }

        // .NET's "R" gives the shortest digit string that round-trips (the same digits ECMAScript's algorithm picks,
        // ES2024 §6.1.6.1.20 step 5); only the placement of the decimal point and exponent differs.
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = text.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(text[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = dot < 0 ? mantissa.Length : dot;
        var digits = mantissa.Replace(".", string.Empty, StringComparison.Ordinal);

        // Normalise to digits d1..dk (no leading/trailing zeros) and n with value = 0.d1..dk × 10^n (ES's k and n).
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        var k = digits.Length;
        var n = integerDigits - leadingZeros + exponent;

        var result = new StringBuilder(32);
        if (value < 0)
        {
            result.Append('-');
        }

        if (k <= n && n <= 21)
        {
            result.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            result.Append(digits[0]);
            if (k > 1)
            {
                result.Append('.').Append(digits, 1, k - 1);
            }

            var e = n - 1;
            result.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }

    internal static void Write(StringBuilder output, JsonNode? node)
    {
        switch (node)
        {
            case null:
                output.Append("null");
                break;
            case JsonObject obj:
                WriteObject(output, obj);
                break;
            case JsonArray array:
                output.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(',');
                    }

                    Write(output, array[i]);
                }

                output.Append(']');
                break;
            case JsonValue value:
                WriteValue(output, value);
                break;
            default:
                throw new ArgumentException($"Unsupported JSON node {node.GetType().Name}.", nameof(node));
        }
    }

    private static void WriteObject(StringBuilder output, JsonObject obj) =>
        WriteMembers(output, obj, obj.Count, static (o, value) => Write(o, value));

    /// <summary>
    /// Writes an object of <paramref name="count"/> members in canonical order, each value by
    /// <paramref name="writeValue"/>: RFC 8785 §3.2.3 sorts by the UTF-16 code units of the names, which ordinal comparison
    /// of .NET strings is. Sorted in a pooled array: this runs for every object of every ledger event.
    /// </summary>
    internal static void WriteMembers<TValue>(StringBuilder output, IEnumerable<KeyValuePair<string, TValue>> members, int count, Action<StringBuilder, TValue> writeValue)
    {
        var rented = ArrayPool<KeyValuePair<string, TValue>>.Shared.Rent(count);
        var sorted = rented.AsSpan(0, count);
        try
        {
            var n = 0;
            foreach (var member in members)
            {
                sorted[n++] = member;
            }

            sorted.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            output.Append('{');
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0)
                {
                    output.Append(',');
                }

                WriteString(output, sorted[i].Key);
                output.Append(':');
                writeValue(output, sorted[i].Value);
            }

            output.Append('}');
        }
        finally
        {
            sorted.Clear();
            ArrayPool<KeyValuePair<string, TValue>>.Shared.Return(rented);
        }
    }

    private static void WriteValue(StringBuilder output, JsonValue value)
    {
        // Values built in code hold CLR primitives; ask for doubles first so NaN and infinities are caught before
        // System.Text.Json would refuse (or quote) them.
        if (value.TryGetValue<double>(out var d))
        {
            output.Append(FormatNumber(d));
            return;
        }

        if (value.TryGetValue<float>(out var f))
        {
            output.Append(FormatNumber(double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)));
            return;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.Null:
                output.Append("null");
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.String:
                WriteString(output, value.TryGetValue<string>(out var s) ? s : JsonSerializer.Deserialize<string>(value.ToJsonString())!);
                break;
            case JsonValueKind.Number:
                // I-JSON numbers are IEEE 754 doubles (RFC 8785 §3.2.2.3): integers beyond 2^53 lose precision here
                // exactly as they would in any other JCS implementation.
                output.Append(FormatNumber(double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)));
                break;
            default:
                throw new ArgumentException($"Unsupported JSON value kind {value.GetValueKind()}.", nameof(value));
        }
    }

    internal static void WriteString(StringBuilder output, string text)
    {
        output.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(c).Append(text[++i]);
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw new ArgumentException("RFC 8785 §3.2.2.2: strings must be valid Unicode (lone surrogate).", nameof(text));
            }

            // §3.2.2.2: only ", \ and control characters are escaped, with the short forms where JSON has them.
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}
