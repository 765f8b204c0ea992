using Skybridge.Application.Evaluation;
using Skybridge.Core.Evaluation;

namespace Skybridge.Application.Tests.Evaluation;

/// <summary>The three files of <c>eval run --out DIR</c>, replaced together or not at all.</summary>
public sealed class EvaluationReportsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-reports-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EvaluationRun Run(string id)
    {
        var score = new CaseScore { CaseId = "gc-01", Tags = ["routine"], Passed = true, Checks = [], LatencyMs = 3 };
        var cases = new List<EvaluatedCase>
        {
            new() { CaseId = "gc-01", Score = score, Repeats = 1, Passes = 1, Output = new EvaluatedOutput { Abstained = false, Answer = "Refunds take 14 days.", LatencyMs = 3 } },
        };
        var metrics = EvaluationMetrics.Compute([score]);
        return new EvaluationRun
        {
            Id = id, WorkflowId = "support-desk", Version = null, ManifestHash = new string('a', 64), GoldenSetHash = new string('b', 64),
            Bar = [], Cases = cases, Metrics = metrics, Verdict = BarVerdict.Evaluate([], metrics), PassK = PassKResult.Combine([[score]]), Repeat = 1,
            StartedAt = new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero), FinishedAt = new DateTimeOffset(2026, 11, 28, 9, 0, 1, TimeSpan.Zero),
        };
    }

    private string[] Contents() =>
        [.. new[] { EvaluationReports.Results, EvaluationReports.JUnit, EvaluationReports.Html }.Select(f => File.ReadAllText(Path.Combine(_folder, f)))];

    [Fact]
    public async Task WriteAsync_ReplacesTheEarlierRunsFiles_AndLeavesNothingElse()
    {
        await EvaluationReports.WriteAsync(Run("run-1111111111111111"), _folder, Ct);
        await EvaluationReports.WriteAsync(Run("run-2222222222222222"), _folder, Ct);

        Assert.All(Contents(), text => Assert.Contains("run-2222222222222222", text, StringComparison.Ordinal));
        Assert.Equal(3, Directory.GetFiles(_folder).Length);
    }

    [Fact]
    public async Task WriteAsync_WhenTheDiskFillsOnTheLastFile_LeavesTheEarlierRunsThreeFilesAsTheyWere()
    {
        await EvaluationReports.WriteAsync(Run("run-1111111111111111"), _folder, Ct);
        var before = Contents();

        // The report (the largest file, written last) finds no space left.
        var error = await Assert.ThrowsAsync<IOException>(() => EvaluationReports.WriteAsync(Run("run-2222222222222222"), _folder,
            (path, text, ct) => path.Contains(EvaluationReports.Html, StringComparison.Ordinal)
                ? throw new IOException("No space left on device")
                : File.WriteAllTextAsync(path, text, ct), Ct));

        Assert.Equal("No space left on device", error.Message);
        Assert.Equal(before, Contents());
        Assert.All(Contents(), text => Assert.Contains("run-1111111111111111", text, StringComparison.Ordinal));
        Assert.Equal(3, Directory.GetFiles(_folder).Length);
    }
}
