using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

public sealed class ManifestLoaderTests
{
    [Fact]
    public void Load_ReturnsManifestWithoutDiagnostics_WhenManifestIsValid()
    {
        var result = ManifestLoader.Load(ValidManifest, FileName, AllFilesExist);

        Assert.True(result.IsValid, string.Join('\n', result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        Assert.NotNull(result.Manifest);
    }

    [Fact]
    public void Load_LoadsSupportDeskSample_WithZeroDiagnostics()
    {
        var folder = Path.Combine(RepoRoot(), "samples", "support-desk");
        var text = File.ReadAllText(Path.Combine(folder, "manifest.yaml"));
        var context = new ManifestValidationContext { FileExists = path => File.Exists(Path.Combine(folder, path)) };

        var result = ManifestLoader.Load(text, "samples/support-desk/manifest.yaml", context);

        Assert.Empty(result.Diagnostics);
        var manifest = Assert.IsType<WorkflowManifest>(result.Manifest);
        Assert.Equal("support-desk", manifest.Id);
        Assert.Equal(new Principal(PrincipalKind.User, "maria.lopez"), manifest.Owner);
        Assert.Equal(AutonomyLevel.L0Draft, manifest.Autonomy.Level);
        Assert.False(manifest.Model.TrainsOnData);
        var refund = Assert.IsType<ActionDefinition>(manifest.FindAction("refund"));
        Assert.Equal(ActionConsequence.Consequential, refund.Consequence);
        Assert.Equal(["group:support-leads"], manifest.Authorities.Approve["refund"].Select(p => p.ToString()));
        var small = manifest.Policy.Rules.Single(r => r.Id == "refund-small");
        Assert.Equal(ApprovalRequirement.None, small.Approval);
        var condition = small.When.Single();
        Assert.Equal(("amount", ConditionOperator.Lte), (condition.Field, condition.Operator));
        Assert.Equal(["50"], condition.Values);
        Assert.Equal(TimeSpan.FromDays(1), manifest.Assumptions.Single(a => a.Id == "kb-fresh").CheckEvery);
    }

    [Fact]
    public void Load_ReportsAllFivePlantedMistakes_WhenManifestHasMistakesInFiveSections()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Manifests", "TestData", "five-mistakes.yaml");
        var text = File.ReadAllText(path);

        var result = ManifestLoader.Load(text, "five-mistakes.yaml");

        Assert.Null(result.Manifest);
        var found = result.Diagnostics.Select(d => (d.Code, d.Location.Line, d.Location.Column)).ToList();
        Assert.Equal(
            [("SB1003", 25, 10), ("SB1002", 33, 5), ("SB1104", 34, 5), ("SB1101", 41, 17), ("SB1301", 43, 10)],
            found);
        Assert.Equal("five-mistakes.yaml:33:5: error SB1002: unknown key 'consequnce' in action 'refund'; did you mean 'consequence'?", result.Diagnostics[1].ToString());
        Assert.Contains("'five'", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("action 'close' has no connector", result.Diagnostics[2].Message, StringComparison.Ordinal);
        Assert.Contains("'refnd'", result.Diagnostics[3].Message, StringComparison.Ordinal);
        Assert.Contains("evidence for at most L0-draft; a promotion gate must be passed first", result.Diagnostics[4].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReportsSB1001WithPosition_WhenYamlIsMalformed()
    {
        var text = With("  halt: [group:ops]", "  halt: group:ops: x");

        var result = ManifestLoader.Load(text, FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.YamlSyntax, diagnostic.Code);
        AssertAt(diagnostic, Locate(text, ": x"));
        Assert.StartsWith("YAML syntax error", diagnostic.Message, StringComparison.Ordinal);
        Assert.Null(result.Manifest);
    }

    [Theory]
    [InlineData("id: a\nname: [x, y\nowner: user:ann\n", 2)]
    [InlineData("id: *missing\n", 1)]
    public void Load_ReportsSB1001OnItsLine_WhenYamlIsBrokenInOtherWays(string text, int line)
    {
        var result = ManifestLoader.Load(text, FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((DiagnosticCodes.YamlSyntax, line), (diagnostic.Code, diagnostic.Location.Line));
    }

    [Fact]
    public void Load_ReportsSB1001_WhenTextHasTwoDocuments()
    {
        var result = ManifestLoader.Load(ValidManifest + "---\nid: other\n", FileName);

        var diagnostic = Single(result, DiagnosticCodes.YamlSyntax);
        Assert.Contains("one YAML document", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeepsCheckingOtherItems_WhenOneActionHasWrongType()
    {
        var text = With(
            "    parameters:\n",
            "    parameters: [amount]\n  - name: close\n    connector: billing\n    consequence: sometimes\n    parameters:\n");

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        AssertAt(Single(result, DiagnosticCodes.WrongType), Locate(text, "[amount]"));
        AssertAt(Single(result, DiagnosticCodes.InvalidEnumValue), Locate(text, "sometimes"));
    }

    [Fact]
    public void Load_ReportsEachDuplicateKeyAndOtherErrors_WhenKeysRepeat()
    {
        var text = With("  review: [group:qa]", "  review: [group:qa]\n  review: [group:qa2]").Replace("id: demo-desk\n", "id: demo-desk\nid: again\n", StringComparison.Ordinal)
            .Replace("trains_on_data: false", "trains_on_data: true", StringComparison.Ordinal);

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        var duplicates = result.Diagnostics.Where(d => d.Code == DiagnosticCodes.DuplicateKey).ToList();
        Assert.Equal(2, duplicates.Count);
        Assert.Equal((2, 1), (duplicates[0].Location.Line, duplicates[0].Location.Column));
        Assert.Contains("duplicate key 'id' in the manifest (first on line 1)", duplicates[0].Message, StringComparison.Ordinal);
        Assert.Equal(9, duplicates[1].Location.Line);
        Single(result, DiagnosticCodes.TrainsOnData);
    }

    [Fact]
    public void Load_ReportsErrorNotWarning_WhenAcceptanceBarMissingAboveL0()
    {
        var text = With("acceptance_bar:\n  - metric: answer_accuracy\n    min: 0.9\n", string.Empty).Replace("level: L0-draft", "level: L1-approve-all", StringComparison.Ordinal);

        var result = ManifestLoader.Load(text, FileName, AllFilesExist with { EvidencedLevel = AutonomyLevel.L1ApproveAll });

        Assert.Equal(DiagnosticSeverity.Error, Single(result, DiagnosticCodes.NoAcceptanceBar).Severity);
    }

    [Fact]
    public void Load_AcceptsHigherLevel_WhenEvidenceOnRecordCoversIt()
    {
        var text = With("  level: L0-draft", "  level: L2-approve-consequential\n  review_sample_rate: 0.1");

        var result = ManifestLoader.Load(text, FileName, AllFilesExist with { EvidencedLevel = AutonomyLevel.L2ApproveConsequential });

        Assert.Empty(result.Diagnostics);
        Assert.Equal(AutonomyLevel.L2ApproveConsequential, result.Manifest!.Autonomy.Level);
        Assert.Equal(0.1, result.Manifest.Autonomy.ReviewSampleRate);
    }

    [Fact]
    public void Load_ReportsMissingKeysOnce_WhenManifestIsEmpty()
    {
        var result = ManifestLoader.Load("# nothing yet\n", FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.MissingKey, diagnostic.Code);
        Assert.Contains("empty", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NeverThrows_WhenRootIsAList()
    {
        var result = ManifestLoader.Load("- a\n- b\n", FileName);

        AssertAt(Single(result, DiagnosticCodes.WrongType), (1, 1));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Compute_ReturnsLowerHexSha256_OfUtf8Bytes()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ManifestHash.Compute("abc"));
    }
}
