using System.Globalization;

namespace Skybridge.Core.Diagnostics;

/// <summary>How serious a <see cref="Diagnostic"/> is. Any error makes a manifest invalid; warnings never do.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The manifest cannot be used until this is fixed.</summary>
    Error,

    /// <summary>The manifest is usable, but probably not what its author meant.</summary>
    Warning,
}

/// <summary>A position in a source file. Line and column are 1-based, as editors show them.</summary>
/// <param name="File">The file name as the user gave it (never resolved, so messages stay stable across machines).</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <summary><c>file:line:column</c>, the format compilers use, so terminals and editors make it clickable.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}:{Column}");
}

/// <summary>
/// One problem found in a file, with a stable code (see <see cref="DiagnosticCodes"/>): codes never change meaning
/// once published, so scripts, docs and people can rely on them.
/// </summary>
/// <param name="Code">Stable code such as <c>SB1002</c>.</param>
/// <param name="Severity">Error or warning.</param>
/// <param name="Message">What is wrong, in the user's terms (names the key, action or rule).</param>
/// <param name="Location">Where it is.</param>
public sealed record Diagnostic(string Code, DiagnosticSeverity Severity, string Message, SourceLocation Location)
{
    /// <summary>A likely fix (usually the nearest valid name), or null. Already part of <see cref="ToString"/>.</summary>
    public string? Suggestion { get; init; }

    /// <summary>True for <see cref="DiagnosticSeverity.Error"/>.</summary>
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>
    /// <c>file:line:column: error SB1002: unknown key 'consequnce' in action 'refund'; did you mean 'consequence'?</c>
    /// </summary>
    public override string ToString()
    {
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var text = $"{Location}: {severity} {Code}: {Message}";
        return Suggestion is null ? text : $"{text}; did you mean '{Suggestion}'?";
    }
}
