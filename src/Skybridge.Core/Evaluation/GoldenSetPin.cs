using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Evaluation;

/// <summary>What pinning a manifest's golden set found and wrote.</summary>
public sealed record GoldenSetPinResult
{
    /// <summary>The manifest text with the pin written (the same text when it was pinned already); null when refused.</summary>
    public string? Text { get; init; }

    /// <summary>The golden set's path as the manifest names it.</summary>
    public string? Path { get; init; }

    /// <summary>The pin before, or null when there was none.</summary>
    public string? Before { get; init; }

    /// <summary>The golden set's SHA-256 now, as written.</summary>
    public string? After { get; init; }

    /// <summary>Why nothing was written: every problem of the manifest, with its place. Empty when written.</summary>
    public IReadOnlyList<Diagnostic> Problems { get; init; } = [];

    /// <summary>True when the manifest (valid otherwise) names no golden set, so there is nothing to pin.</summary>
    public bool NoGoldenSet { get; init; }

    /// <summary>True when the text changed.</summary>
    public bool Changed => Text is not null && !string.Equals(Before, After, StringComparison.Ordinal);
}

/// <summary>
/// Pins a manifest's golden set to the SHA-256 of the file as it is now (<c>skybridge eval pin</c>): after the cases
/// were reviewed, the pin follows them in one step instead of a hash copied by hand. The manifest's text is kept as
/// written: only the pin's 64 characters change, or, where there was no pin, <c>golden_set: PATH</c> becomes
/// <c>golden_set: { path: PATH, sha256: ... }</c> (a block mapping gets a <c>sha256:</c> line under its <c>path:</c>).
/// Any other problem of the manifest is reported and nothing is written: a pin is evidence that the bar and the cases
/// were agreed together, not a way past validation.
/// </summary>
public static class GoldenSetPin
{
    /// <summary>Pins the golden set of <paramref name="manifestText"/>.</summary>
    /// <param name="manifestText">The manifest as read.</param>
    /// <param name="fileName">The manifest's name as the user gave it (for diagnostics).</param>
    /// <param name="readFile">Reads a file beside the manifest by its relative path; null when it does not exist.</param>
    public static GoldenSetPinResult Pin(string manifestText, string fileName, Func<string, byte[]?> readFile)
    {
        ArgumentNullException.ThrowIfNull(manifestText);
        ArgumentNullException.ThrowIfNull(readFile);
        var loaded = ManifestLoader.Load(manifestText, fileName, new ManifestValidationContext
        {
            FileExists = p => readFile(p) is not null,
            ReadFile = readFile,
            // Pinning is not publishing: the autonomy level's evidence is checked where a version is published.
            EvidencedLevel = AutonomyLevel.L2ApproveConsequential,
        });
        var blocking = loaded.Diagnostics.Where(d => d.IsError && d.Code != DiagnosticCodes.GoldenSetHashMismatch).ToList();
        if (blocking.Count > 0)
        {
            return new GoldenSetPinResult { Problems = blocking };
        }

        if (loaded.SourceMap.GoldenSet is not { } source)
        {
            return new GoldenSetPinResult { NoGoldenSet = true };
        }

        var lines = manifestText.Split('\n');
        var pathText = ValueAt(lines, source.Path);
        var path = Unquote(pathText);
        var actual = GoldenSetLoader.ComputeHash(readFile(path)!);
        if (source.Pin is { } pinAt)
        {
            var line = lines[pinAt.Line - 1];
            var pin = Unquote(ValueAt(lines, pinAt));
            var start = line.IndexOf(pin, pinAt.Column - 1, StringComparison.Ordinal);
            lines[pinAt.Line - 1] = line[..start] + actual + line[(start + pin.Length)..];
            return new GoldenSetPinResult { Text = string.Join('\n', lines), Path = path, Before = pin.ToLowerInvariant(), After = actual };
        }

        var at = source.Path;
        var pathLine = lines[at.Line - 1];
        var end = at.Column - 1 + pathText.Length;
        if (!source.InMapping)
        {
            lines[at.Line - 1] = pathLine[..(at.Column - 1)] + "{ path: " + pathText + ", sha256: " + actual + " }" + pathLine[end..];
        }
        else if (pathLine.TrimStart().StartsWith("path:", StringComparison.Ordinal))
        {
            // A block mapping: the pin goes on a line of its own, indented as path is.
            var indent = pathLine[..(pathLine.Length - pathLine.TrimStart().Length)];
            var carriage = pathLine.EndsWith('\r') ? "\r" : "";
            var list = lines.ToList();
            list.Insert(at.Line, indent + "sha256: " + actual + carriage);
            lines = [.. list];
        }
        else
        {
            // A flow mapping: the pin goes after the path's value.
            lines[at.Line - 1] = pathLine[..end] + ", sha256: " + actual + pathLine[end..];
        }

        return new GoldenSetPinResult { Text = string.Join('\n', lines), Path = path, Before = null, After = actual };
    }

    /// <summary>The scalar's text as written at <paramref name="at"/> (quotes included), up to its end on that line.</summary>
    private static string ValueAt(string[] lines, SourceLocation at)
    {
        var line = lines[at.Line - 1].TrimEnd('\r');
        var rest = line[(at.Column - 1)..];
        if (rest.Length > 0 && rest[0] is '"' or '\'')
        {
            var close = rest.IndexOf(rest[0], 1);
            return close > 0 ? rest[..(close + 1)] : rest;
        }

        // A plain scalar ends at a comment, a flow separator or the line's end.
        var stop = rest.Length;
        foreach (var marker in new[] { " #", ",", "}" })
        {
            var i = rest.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0 && i < stop)
            {
                stop = i;
            }
        }

        return rest[..stop].TrimEnd();
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && text[0] is '"' or '\'' && text[^1] == text[0] ? text[1..^1] : text;
}
