using Skybridge.Core.Diagnostics;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>Collects diagnostics for one file; never throws, so one problem never hides the next.</summary>
internal sealed class DiagnosticBag(string file)
{
    private readonly List<Diagnostic> items = [];

    public string File { get; } = file;

    public bool HasErrors => items.Any(d => d.IsError);

    public bool HasErrorAt(YNode node) => items.Any(d => d.IsError && d.Location.Line == node.Line && d.Location.Column == node.Column);

    public SourceLocation At(int line, int column) => new(File, Math.Max(1, line), Math.Max(1, column));

    public void Error(string code, string message, YNode at, string? suggestion = null) =>
        Add(code, DiagnosticSeverity.Error, message, At(at.Line, at.Column), suggestion);

    public void Warning(string code, string message, YNode at, string? suggestion = null) =>
        Add(code, DiagnosticSeverity.Warning, message, At(at.Line, at.Column), suggestion);

    public void Add(string code, DiagnosticSeverity severity, string message, SourceLocation location, string? suggestion = null) =>
        items.Add(new Diagnostic(code, severity, message, location) { Suggestion = suggestion });

    /// <summary>File order (stable for equal positions), the order a person fixes them in.</summary>
    public IReadOnlyList<Diagnostic> ToList() =>
        [.. items.OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column)];
}
