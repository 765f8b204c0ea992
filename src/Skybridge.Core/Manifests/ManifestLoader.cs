using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests.Parsing;

namespace Skybridge.Core.Manifests;

/// <summary>
/// Loads and validates a workflow manifest. Every problem is reported at once with its file:line:column and a
/// stable code; a manifest with any error is not returned. Never throws for bad input.
/// </summary>
public static class ManifestLoader
{
    /// <summary>Parses <paramref name="yamlText"/>, validates it, and returns the manifest with all diagnostics.</summary>
    /// <param name="yamlText">The manifest text.</param>
    /// <param name="fileName">The name shown in diagnostics (as the user typed it).</param>
    /// <param name="context">What the edge knows: evidence on record, a file probe, allowed endpoints.</param>
    public static ManifestLoadResult Load(string yamlText, string fileName, ManifestValidationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(fileName);
        var bag = new DiagnosticBag(fileName);
        var tree = YamlTreeReader.Read(yamlText);
        if (tree.Error is not null)
        {
            bag.Add(DiagnosticCodes.YamlSyntax, DiagnosticSeverity.Error, $"YAML syntax error: {tree.Error}", bag.At(tree.ErrorLine, tree.ErrorColumn));
            return new ManifestLoadResult { Diagnostics = bag.ToList() };
        }

        var parser = new ManifestParser(bag, context ?? new ManifestValidationContext());
        var manifest = parser.Parse(tree.Root);
        return new ManifestLoadResult
        {
            Manifest = bag.HasErrors ? null : manifest,
            Diagnostics = bag.ToList(),
            SourceMap = parser.SourceMap,
        };
    }
}
