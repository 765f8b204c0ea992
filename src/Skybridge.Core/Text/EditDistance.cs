namespace Skybridge.Core.Text;

/// <summary>
/// Optimal string alignment distance (Damerau-Levenshtein restricted to adjacent transpositions), used to suggest
/// the key or name a user probably meant, and to read a question's word as a typo of a word the sources use
/// (<c>SourceProfile.HasTypoOf</c> in Grounding). Transpositions count as one edit because they are the commonest typo.
/// </summary>
public static class EditDistance
{
    /// <summary>The number of single-character insertions, deletions, substitutions or adjacent swaps from a to b.</summary>
    public static int Compute(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, d[i - 2, j - 2] + 1);
                }

                d[i, j] = best;
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>
    /// The candidate nearest to <paramref name="input"/> (ignoring case), or null when none is close enough.
    /// "Close enough" is at most a third of the input's length (minimum 1, maximum 3): a suggestion that is
    /// mostly different letters is noise, not help.
    /// </summary>
    public static string? FindNearest(string input, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        var limit = Math.Clamp(input.Length / 3, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Compute(input.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= limit ? best : null;
    }
}
