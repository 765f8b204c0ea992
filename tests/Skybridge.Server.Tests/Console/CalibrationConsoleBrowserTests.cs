using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Console;

/// <summary>
/// Stored calibration sweeps in the console (a real browser, the strict CSP watched) and over the API: the trade-off
/// chart, the table and the recommendation, or the closest setting and what it fails.
/// </summary>
public sealed class CalibrationConsoleBrowserTests : IClassFixture<RunningServer>
{
    private static readonly int[] TopK = [3, 5];
    private static readonly double[] Thresholds = [0.2, 0.4, 0.6];

    private readonly RunningServer _server;

    public CalibrationConsoleBrowserTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Url(string path) => new Uri(_server.BaseAddress, path).ToString();

    /// <summary>
    /// A sweep over 40 answerable and 10 out-of-scope golden cases: a higher threshold answers fewer cases and gets more
    /// of those right; top_k 5 misses fewer facts than 3. The manifest's setting is top_k 5 at 0.4.
    /// </summary>
    private static CalibrationResult Sweep(double minAccuracy)
    {
        IReadOnlyList<AcceptanceCriterion> bar = [new AcceptanceCriterion { Metric = Metrics.AnswerAccuracy, Min = minAccuracy }];
        var rows = new List<CalibrationRow>();
        foreach (var k in TopK)
        {
            for (var j = 0; j < Thresholds.Length; j++)
            {
                var answered = 40 - (8 * j);
                var wrong = Math.Max(0, 8 - (3 * j) - (k == 5 ? 2 : 0));
                var scores = Enumerable.Range(1, 40).Select(i => new CaseScore
                {
                    CaseId = $"gc-{i:000}", Tags = ["routine"], Expected = ExpectedOutcome.Answer, Abstained = i > answered,
                    FactsExpected = 1, FactsFound = i <= wrong ? 0 : 1, Passed = i <= answered && i > wrong, Checks = [], LatencyMs = 3,
                }).Concat(Enumerable.Range(41, 10).Select(i => new CaseScore
                {
                    CaseId = $"gc-{i:000}", Tags = ["out-of-scope"], Expected = ExpectedOutcome.Abstain, Abstained = j > 0, Passed = j > 0, Checks = [], LatencyMs = 3,
                })).ToList();
                var metrics = EvaluationMetrics.Compute(scores);
                rows.Add(new CalibrationRow
                {
                    Setting = new CalibrationSetting(k, Thresholds[j]), Current = k == 5 && j == 1, Cases = scores.Count,
                    Answered = scores.Count(s => !s.Abstained), Metrics = metrics, Verdict = BarVerdict.Evaluate(bar, metrics), Scores = scores,
                });
            }
        }

        var (recommended, closest) = Calibration.Choose(rows);
        return new CalibrationResult
        {
            WorkflowId = RunningServer.Workflow, Version = 1, ManifestHash = new string('a', 64), GoldenSetHash = new string('b', 64),
            Current = new CalibrationSetting(5, 0.4), Bar = bar, Rows = rows, Recommended = recommended, Closest = closest, Drafts = 100,
        };
    }

    private static string Two(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    [Fact]
    public async Task StoredSweep_ShowsItsChartTableAndRecommendation_WithNoCspViolation() =>
        await Browser.RunAsync("calibration-sweep", async page =>
        {
            var sweep = Sweep(0.6);
            var best = Assert.IsType<CalibrationRow>(sweep.Recommended);
            var stored = await CalibrationEvidence.RecordAsync(_server.Services.GetRequiredService<ILedger>(), sweep, TopK, Thresholds, DateTimeOffset.UtcNow, "owner", Ct);
            var violations = Browser.WatchCsp(page);
            await Browser.SignInAsync(page, _server.BaseAddress.ToString(), "auditor", RunningServer.Password);

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            await page.ClickAsync("#evaluations-link");
            await page.ClickAsync("#calibrations-link");
            var row = page.Locator($"#calibrations tr[data-calibration='{stored.Id}']");
            await Assertions.Expect(row.Locator(".version")).ToHaveTextAsync("v1");
            await Assertions.Expect(row.Locator(".settings")).ToHaveTextAsync("6");
            await Assertions.Expect(row.Locator(".result")).ToContainTextAsync($"recommends top_k {best.Setting.TopK}, abstain_below {Two(best.Setting.AbstainBelow)}");

            await row.Locator("a.calibration-link").ClickAsync();
            await Assertions.Expect(page.Locator("#recommended")).ToHaveAttributeAsync("data-top-k", best.Setting.TopK.ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(page.Locator("#recommended")).ToHaveAttributeAsync("data-abstain-below", Two(best.Setting.AbstainBelow));
            await Assertions.Expect(page.Locator("#closest")).ToHaveCountAsync(0);
            // The chart: a series per top_k, a point and a whisker per setting, the manifest's setting and the recommendation marked.
            var chart = page.Locator("#calibration-chart");
            await Assertions.Expect(chart).ToBeVisibleAsync();
            await Assertions.Expect(chart.Locator("g.series")).ToHaveCountAsync(2);
            await Assertions.Expect(chart.Locator("circle.point")).ToHaveCountAsync(6);
            await Assertions.Expect(chart.Locator("line.whisker")).ToHaveCountAsync(6);
            await Assertions.Expect(chart.Locator("#mark-current")).ToHaveCountAsync(1);
            await Assertions.Expect(chart.Locator("#mark-recommended")).ToHaveCountAsync(1);
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 300, Height: > 200 }, "the chart is drawn at its size");
            // The table as the CLI prints it: the manifest's setting starred, the recommended row marked best.
            await Assertions.Expect(page.Locator("#calibration-table tbody tr")).ToHaveCountAsync(6);
            await Assertions.Expect(page.Locator("#calibration-table tr[data-current='true'] td").Nth(1)).ToHaveTextAsync("0.40 *");
            var bestRow = page.Locator($"#calibration-table tr[data-top-k='{best.Setting.TopK}'][data-abstain-below='{Two(best.Setting.AbstainBelow)}']");
            await Assertions.Expect(bestRow).ToHaveClassAsync("recommended");
            await Assertions.Expect(bestRow.Locator("td").Nth(8)).ToHaveTextAsync("yes best");
            Assert.Empty(violations);
        });

    [Fact]
    public async Task StoredSweep_NoSettingClears_ShowsTheClosestAndWhatItFails() =>
        await Browser.RunAsync("calibration-closest", async page =>
        {
            var sweep = Sweep(0.99);
            Assert.Null(sweep.Recommended);
            var closest = Assert.IsType<CalibrationRow>(sweep.Closest);
            var stored = await CalibrationEvidence.RecordAsync(_server.Services.GetRequiredService<ILedger>(), sweep, TopK, Thresholds, DateTimeOffset.UtcNow, "owner", Ct);
            var violations = Browser.WatchCsp(page);
            await Browser.SignInAsync(page, _server.BaseAddress.ToString(), "auditor", RunningServer.Password);

            await page.GotoAsync(Url($"/calibrations/{stored.Id}"));
            await Assertions.Expect(page.Locator("#closest")).ToHaveAttributeAsync("data-top-k", closest.Setting.TopK.ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(page.Locator("#closest-failing li")).ToContainTextAsync("answer_accuracy failed");
            await Assertions.Expect(page.Locator("#calibration-chart #mark-closest")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#recommended")).ToHaveCountAsync(0);
            Assert.Empty(violations);
        });

    [Fact]
    public async Task CalibrationApi_ListsSweepsNewestFirst_AndServesOneWithEveryRow()
    {
        var ledger = _server.Services.GetRequiredService<ILedger>();
        var older = await CalibrationEvidence.RecordAsync(ledger, Sweep(0.6), TopK, Thresholds, DateTimeOffset.UtcNow.AddMinutes(-5), "owner", Ct);
        var newer = await CalibrationEvidence.RecordAsync(ledger, Sweep(0.99), TopK, Thresholds, DateTimeOffset.UtcNow, "owner", Ct);
        using var http = await _server.SignedInClientAsync("auditor");

        var list = JsonNode.Parse(await http.GetStringAsync($"/api/workflows/{RunningServer.Workflow}/calibrations", Ct))!.AsArray();
        var ids = list.Select(s => (string?)s!["id"]).ToList();
        Assert.True(ids.IndexOf(newer.Id) < ids.IndexOf(older.Id) && ids.IndexOf(newer.Id) >= 0, string.Join(",", ids));
        Assert.All(list, s => Assert.Null(s!["rows"]));

        var one = JsonNode.Parse(await http.GetStringAsync($"/api/calibrations/{older.Id}", Ct))!;
        Assert.Equal(6, one["rows"]!.AsArray().Count);
        Assert.True((bool)one["clears"]!);
        Assert.NotNull(one["recommended"]);
        var accuracy = one["rows"]![0]!["metrics"]![Metrics.AnswerAccuracy]!;
        Assert.NotNull((int?)accuracy["successes"]);
        Assert.NotNull((double?)accuracy["lower"]);
        Assert.Equal(new string('b', 64), (string?)one["goldenSetHash"]);

        using var missing = await http.GetAsync("/api/calibrations/cal-0000000000000000", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
