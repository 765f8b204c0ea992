using Skybridge.Core.Diagnostics;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>
/// Reads one YAML mapping: reports unknown keys (with the nearest valid key) and duplicate keys, then serves the
/// first value of each key. Allowed keys null means free-form keys (names chosen by the author).
/// </summary>
internal sealed class MapReader
{
    private readonly Dictionary<string, KeyValuePair<YScalar, YNode>> entries = new(StringComparer.Ordinal);

    private readonly HashSet<string> misspelled = new(StringComparer.Ordinal);

    public MapReader(YMapping node, string where, IReadOnlyList<string>? allowedKeys, DiagnosticBag bag)
    {
        Node = node;
        Where = where;
        foreach (var (keyNode, value) in node.Entries)
        {
            if (keyNode is not YScalar key || key.IsNull)
            {
                bag.Error(DiagnosticCodes.WrongType, $"keys in {where} must be text, not {keyNode.Describe()}", keyNode);
                continue;
            }

            if (allowedKeys is not null && !allowedKeys.Contains(key.Value, StringComparer.Ordinal))
            {
                var nearest = EditDistance.FindNearest(key.Value, allowedKeys);
                bag.Error(DiagnosticCodes.UnknownKey, $"unknown key '{key.Value}' in {where}", key, nearest);
                if (nearest is not null)
                {
                    misspelled.Add(nearest);
                }

                continue;
            }

            if (entries.TryGetValue(key.Value, out var first))
            {
                bag.Error(DiagnosticCodes.DuplicateKey, $"duplicate key '{key.Value}' in {where} (first on line {first.Key.Line})", key);
                continue;
            }

            entries[key.Value] = new(key, value);
        }
    }

    public YMapping Node { get; }

    public string Where { get; }

    public YNode? this[string key] => entries.TryGetValue(key, out var entry) ? entry.Value : null;

    public YScalar? KeyNode(string key) => entries.TryGetValue(key, out var entry) ? entry.Key : null;

    public bool Has(string key) => entries.ContainsKey(key);

    /// <summary>
    /// True when an unknown key was reported with this key as its suggestion: the key is there, just misspelled,
    /// so "missing required key" would only repeat the same mistake.
    /// </summary>
    public bool IsMisspelled(string key) => misspelled.Contains(key);

    public IEnumerable<KeyValuePair<YScalar, YNode>> Entries => entries.Values;
}
