using System.Globalization;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>
/// Typed reads of one key of a mapping. Each returns null (and reports) when the key is missing or has the wrong
/// type, so the caller carries on with the next key.
/// </summary>
internal sealed class ScalarReaders(DiagnosticBag bag)
{
    public DiagnosticBag Bag { get; } = bag;

    public YScalar? Scalar(MapReader map, string key, bool required, string expected = "text")
    {
        var node = map[key];
        if (node is null)
        {
            if (required && !map.IsMisspelled(key))
            {
                Bag.Error(DiagnosticCodes.MissingKey, $"missing required key '{key}' in {map.Where}", map.Node);
            }

            return null;
        }

        if (node is not YScalar scalar)
        {
            Bag.Error(DiagnosticCodes.WrongType, $"'{key}' in {map.Where} must be {expected}, not {node.Describe()}", node);
            return null;
        }

        if (scalar.IsNull)
        {
            if (required)
            {
                Bag.Error(DiagnosticCodes.MissingKey, $"required key '{key}' in {map.Where} has no value", map.KeyNode(key)!);
            }

            return null;
        }

        return scalar;
    }

    public string? String(MapReader map, string key, bool required) => Scalar(map, key, required)?.Value;

    public double? Number(MapReader map, string key, bool required, double? min = null, double? max = null)
    {
        var scalar = Scalar(map, key, required, "a number");
        if (scalar is null)
        {
            return null;
        }

        if (!TryNumber(scalar, out var value))
        {
            Bag.Error(DiagnosticCodes.WrongType, $"'{key}' in {map.Where} must be a number, not {scalar.Describe()}", scalar);
            return null;
        }

        return CheckRange(map, key, scalar, value, min, max);
    }

    public int? Integer(MapReader map, string key, bool required, int min, int max)
    {
        var scalar = Scalar(map, key, required, "a whole number");
        if (scalar is null)
        {
            return null;
        }

        if (!scalar.IsPlain || !int.TryParse(scalar.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Bag.Error(DiagnosticCodes.WrongType, $"'{key}' in {map.Where} must be a whole number, not {scalar.Describe()}", scalar);
            return null;
        }

        return (int?)CheckRange(map, key, scalar, value, min, max);
    }

    public bool? Boolean(MapReader map, string key, bool required)
    {
        var scalar = Scalar(map, key, required, "true or false");
        if (scalar is null)
        {
            return null;
        }

        if (TryBoolean(scalar, out var value))
        {
            return value;
        }

        Bag.Error(DiagnosticCodes.WrongType, $"'{key}' in {map.Where} must be true or false, not {scalar.Describe()}", scalar);
        return null;
    }

    public T? Enum<T>(MapReader map, string key, bool required, IReadOnlyDictionary<string, T> names)
        where T : struct
    {
        var scalar = Scalar(map, key, required);
        return scalar is null ? null : EnumValue(scalar, $"{key} in {map.Where}", names);
    }

    /// <summary>Maps a scalar to an enum value, or reports SB1006 listing the valid spellings.</summary>
    public T? EnumValue<T>(YScalar scalar, string what, IReadOnlyDictionary<string, T> names)
        where T : struct
    {
        if (names.TryGetValue(scalar.Value, out var value))
        {
            return value;
        }

        Bag.Error(
            DiagnosticCodes.InvalidEnumValue,
            $"'{scalar.Value}' is not a valid {what}; valid values: {string.Join(", ", names.Keys)}",
            scalar,
            EditDistance.FindNearest(scalar.Value, names.Keys));
        return null;
    }

    public MapReader? Mapping(MapReader map, string key, bool required, string where, IReadOnlyList<string>? allowedKeys)
    {
        var node = map[key];
        if (node is null || node is YScalar { IsNull: true })
        {
            if (required && !map.IsMisspelled(key))
            {
                Bag.Error(DiagnosticCodes.MissingKey, $"missing required key '{key}' in {map.Where}", node is null ? map.Node : map.KeyNode(key)!);
            }

            return null;
        }

        return AsMapping(node, $"'{key}' in {map.Where}", where, allowedKeys);
    }

    public MapReader? AsMapping(YNode node, string what, string where, IReadOnlyList<string>? allowedKeys)
    {
        if (node is YMapping mapping)
        {
            return new MapReader(mapping, where, allowedKeys, Bag);
        }

        Bag.Error(DiagnosticCodes.WrongType, $"{what} must be a mapping (key: value lines), not {node.Describe()}", node);
        return null;
    }

    public IReadOnlyList<YNode>? Sequence(MapReader map, string key, bool required)
    {
        var node = map[key];
        if (node is null || node is YScalar { IsNull: true })
        {
            if (required && !map.IsMisspelled(key))
            {
                Bag.Error(DiagnosticCodes.MissingKey, $"missing required key '{key}' in {map.Where}", node is null ? map.Node : map.KeyNode(key)!);
            }

            return null;
        }

        if (node is YSequence sequence)
        {
            return sequence.Items;
        }

        Bag.Error(DiagnosticCodes.WrongType, $"'{key}' in {map.Where} must be a list, not {node.Describe()}", node);
        return null;
    }

    /// <summary>A list of non-empty text items; wrong items are reported and skipped.</summary>
    public IReadOnlyList<YScalar>? ScalarList(MapReader map, string key, bool required)
    {
        var items = Sequence(map, key, required);
        if (items is null)
        {
            return null;
        }

        var result = new List<YScalar>();
        foreach (var item in items)
        {
            if (item is YScalar { IsNull: false } scalar)
            {
                result.Add(scalar);
            }
            else
            {
                Bag.Error(DiagnosticCodes.WrongType, $"items of '{key}' in {map.Where} must be text, not {item.Describe()}", item);
            }
        }

        return result;
    }

    /// <summary>A list of <c>user:NAME</c>/<c>group:NAME</c>; malformed entries get SB1110.</summary>
    public IReadOnlyList<Principal>? Principals(MapReader map, string key, bool required)
    {
        var items = ScalarList(map, key, required);
        if (items is null)
        {
            return null;
        }

        var result = new List<Principal>();
        foreach (var item in items)
        {
            if (ParsePrincipal(item, $"'{key}' in {map.Where}") is { } principal)
            {
                result.Add(principal);
            }
        }

        return result;
    }

    public Principal? ParsePrincipal(YScalar scalar, string what)
    {
        if (Principal.TryParse(scalar.Value, out var principal))
        {
            return principal;
        }

        Bag.Error(DiagnosticCodes.MalformedPrincipal, $"'{scalar.Value}' in {what} is not a principal; write user:NAME or group:NAME", scalar);
        return null;
    }

    public static bool TryNumber(YScalar scalar, out double value) =>
        double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && scalar.IsPlain && double.IsFinite(value);

    public static bool TryBoolean(YScalar scalar, out bool value)
    {
        value = scalar.Value is "true" or "True" or "TRUE";
        return scalar.IsPlain && (value || scalar.Value is "false" or "False" or "FALSE");
    }

    private double? CheckRange(MapReader map, string key, YScalar scalar, double value, double? min, double? max)
    {
        if ((min is { } low && value < low) || (max is { } high && value > high))
        {
            var range = (min, max) switch
            {
                ({ } a, { } b) => $"between {Format(a)} and {Format(b)}",
                ({ } a, null) => $"at least {Format(a)}",
                (null, { } b) => $"at most {Format(b)}",
                _ => string.Empty,
            };
            Bag.Error(DiagnosticCodes.OutOfRange, $"'{key}' in {map.Where} must be {range}, not {scalar.Value}", scalar);
            return null;
        }

        return value;
    }

    public static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
