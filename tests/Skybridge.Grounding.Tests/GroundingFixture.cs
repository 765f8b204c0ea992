using Skybridge.Core.Manifests;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>The test knowledge base read and indexed once.</summary>
public sealed class GroundingFixture : IDisposable
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "kb");

    public static DataSource Source { get; } = new() { Name = "kb", Path = "kb", Formats = ["markdown", "html", "text", "pdf"], Classification = DataClassification.Internal };

    public GroundingFixture()
    {
        Report = DocumentReader.ReadSource(Source, Folder);
        Index.Upsert(Report.Documents);
    }

    public IngestionReport Report { get; }

    public PassageIndex Index { get; } = new();

    public static WorkflowManifest Manifest(ModelSettings? model = null, double abstainBelow = 0.35) => new()
    {
        Id = "support-desk",
        Name = "Support desk",
        Owner = new Principal(PrincipalKind.User, "maria"),
        Authorities = new DecisionAuthorities(),
        Model = model ?? new ModelSettings { Provider = ModelProvider.BuiltinExtractive },
        Autonomy = new AutonomySettings { Level = AutonomyLevel.L0Draft },
        Retrieval = new RetrievalSettings { TopK = 5, MinScore = 0.2, AbstainBelow = abstainBelow },
        Sources = [Source],
    };

    /// <summary>
    /// A document as a source's reader would hand it over: its version is a digest of its text (so a changed text is a
    /// new version), its id the file name, its title <paramref name="title"/> (the file name when not given).
    /// </summary>
    public static SourceDocument Doc(string path, string text, string? title = null, string source = "docs", string classification = "public", string status = "current") => new()
    {
        Source = source, Path = path, Version = "v-" + Skybridge.Core.Ledger.TextDigest.Sha256(text)[..12], Id = Path.GetFileNameWithoutExtension(path),
        Title = title ?? Path.GetFileNameWithoutExtension(path), Status = status, Classification = classification, Text = text,
    };

    public void Dispose() => Index.Dispose();
}
