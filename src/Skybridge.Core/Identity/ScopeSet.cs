namespace Skybridge.Core.Identity;

/// <summary>
/// An OAuth scope value (RFC 6749 section 3.3): space-delimited, case-sensitive tokens, order irrelevant.
/// Delegation only narrows, so the questions asked of it are "is this within that" and "what do both allow".
/// </summary>
public sealed class ScopeSet : IEquatable<ScopeSet>
{
    private readonly SortedSet<string> _items;
    private string? _text;

    private ScopeSet(SortedSet<string> items) => _items = items;

    /// <summary>No scope at all.</summary>
    public static ScopeSet Empty { get; } = new(new SortedSet<string>(StringComparer.Ordinal));

    /// <summary>The scope tokens, sorted.</summary>
    public IReadOnlyCollection<string> Items => _items;

    /// <summary>True when there is no scope token.</summary>
    public bool IsEmpty => _items.Count == 0;

    /// <summary>A set from scope tokens (each must be a valid scope token).</summary>
    public static ScopeSet Of(IEnumerable<string> items) => new(new SortedSet<string>(items, StringComparer.Ordinal));

    /// <summary>
    /// Parses a scope parameter. False when a token has characters RFC 6749 section 3.3 does not allow
    /// (outside %x21 / %x23-5B / %x5D-7E) or the value has empty tokens (two spaces, leading or trailing space).
    /// </summary>
    public static bool TryParse(string? value, out ScopeSet scope)
    {
        scope = Empty;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        var items = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var token in value.Split(' '))
        {
            if (token.Length == 0 || !token.All(IsScopeChar))
            {
                return false;
            }

            items.Add(token);
        }

        scope = new ScopeSet(items);
        return true;
    }

    private static bool IsScopeChar(char c) => c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);

    /// <summary>True when every token here is also in <paramref name="other"/>.</summary>
    public bool IsSubsetOf(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _items.IsSubsetOf(other._items);
    }

    /// <summary>The tokens both sets hold.</summary>
    public ScopeSet Intersect(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var items = new SortedSet<string>(_items, StringComparer.Ordinal);
        items.IntersectWith(other._items);
        return new ScopeSet(items);
    }

    /// <summary>The tokens here that <paramref name="other"/> lacks.</summary>
    public ScopeSet Except(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var items = new SortedSet<string>(_items, StringComparer.Ordinal);
        items.ExceptWith(other._items);
        return new ScopeSet(items);
    }

    /// <summary>True when the token is present.</summary>
    public bool Contains(string item) => _items.Contains(item);

    // Written once: the agent API puts a token's scope into its principal on every request, and the set never changes.

    /// <summary>The scope parameter spelling: tokens sorted, separated by one space.</summary>
    public override string ToString() => _text ??= string.Join(' ', _items);

    /// <inheritdoc />
    public bool Equals(ScopeSet? other) => other is not null && _items.SetEquals(other._items);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ScopeSet);

    /// <inheritdoc />
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
