using System.Reflection;
using System.Text.RegularExpressions;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Tests.Manifests;

namespace Skybridge.Core.Tests.Ledger;

public sealed partial class LedgerEventTypesTests
{
    /// <summary>A row of docs/ledger.md's event-type table: | `type` | written or reserved | when | carries |.</summary>
    [GeneratedRegex(@"^\|\s*`(?<type>[a-z_.]+)`\s*\|\s*(?<status>written|reserved)\s*\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private static Dictionary<string, string> DocumentedTypes()
    {
        var doc = File.ReadAllText(Path.Combine(ManifestTestSupport.RepoRoot(), "docs", "ledger.md"));
        var section = doc[doc.IndexOf("### Event types", StringComparison.Ordinal)..];
        var rows = TableRow().Matches(section).ToDictionary(m => m.Groups["type"].Value, m => m.Groups["status"].Value, StringComparer.Ordinal);
        Assert.NotEmpty(rows);
        return rows;
    }

    private static List<string> CatalogueConstants() =>
        typeof(LedgerEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

    [Fact]
    public void Doc_NamesExactlyTheCataloguesTypes_WithTheSameStatus()
    {
        var documented = DocumentedTypes();
        var written = documented.Where(d => d.Value == "written").Select(d => d.Key).Order(StringComparer.Ordinal);
        var reserved = documented.Where(d => d.Value == "reserved").Select(d => d.Key).Order(StringComparer.Ordinal);

        // Missing from the doc, or documented but unknown to the code, fails here with the names that differ.
        Assert.Equal(LedgerEventTypes.Written.Order(StringComparer.Ordinal), written);
        Assert.Equal(LedgerEventTypes.Reserved.Order(StringComparer.Ordinal), reserved);
    }

    [Fact]
    public void Catalogue_ListsEveryConstantOnce_AsWrittenOrReserved()
    {
        var constants = CatalogueConstants();
        Assert.Equal(constants.Count, constants.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(LedgerEventTypes.Written.Intersect(LedgerEventTypes.Reserved));
        Assert.Equal(constants.Order(StringComparer.Ordinal), LedgerEventTypes.Written.Concat(LedgerEventTypes.Reserved).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"(Type\s*=|RecordAsync\()[^;\n]*""[a-z_]+\.[a-z_]+""")]
    private static partial Regex LiteralType();

    [Fact]
    public void Source_NamesEventTypesOnlyThroughTheCatalogue()
    {
        var src = Path.Combine(ManifestTestSupport.RepoRoot(), "src");
        var literal = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (File: f, Text: File.ReadAllText(f)))
            .Where(f => f.Text.Contains("LedgerEntry", StringComparison.Ordinal))
            .SelectMany(f => f.Text.Split('\n').Where(l => LiteralType().IsMatch(l)).Select(l => Path.GetRelativePath(src, f.File) + ": " + l.Trim()))
            .ToList();
        Assert.Empty(literal);
    }
}
