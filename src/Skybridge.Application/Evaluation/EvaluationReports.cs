using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// The files of <c>eval run --out DIR</c>: <c>report.html</c> (self-contained: inline CSS and inline SVG charts, no
/// script, no external asset, so it opens from an e-mail attachment or an air-gapped share), <c>junit.xml</c> (one
/// testcase per golden case, for CI) and <c>results.json</c>.
/// </summary>
public static class EvaluationReports
{
    /// <summary>The report's file names.</summary>
    public const string Html = "report.html", JUnit = "junit.xml", Results = "results.json";

    /// <summary>
    /// Writes the three files into <paramref name="folder"/> (created when missing). All three are rendered first, then
    /// each is written beside its name, and only when all three are written are they moved into place: a file is whole
    /// or absent, never half written, and a disk that fills or a run stopped while writing leaves the earlier run's
    /// three files as they were, never a report of one run beside the results of another. Throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the folder cannot be written.
    /// </summary>
    public static Task WriteAsync(EvaluationRun run, string folder, CancellationToken cancellationToken) =>
        WriteAsync(run, folder, File.WriteAllTextAsync, cancellationToken);

    /// <summary><see cref="WriteAsync(EvaluationRun, string, CancellationToken)"/> with the call that writes one file given (a test's full disk).</summary>
    internal static async Task WriteAsync(EvaluationRun run, string folder, Func<string, string, CancellationToken, Task> writeFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var files = new[]
        {
            (Name: Results, Text: EvaluationEvidence.ResultsJson(run).ToJsonString(new JsonSerializerOptions { WriteIndented = true })),
            (Name: JUnit, Text: JUnitXml(run)),
            (Name: Html, Text: HtmlReport(run)),
        };
        Directory.CreateDirectory(folder);
        var suffix = ".tmp-" + Guid.NewGuid().ToString("N");
        var written = files.Select(f => (Target: Path.Combine(folder, f.Name), Temporary: Path.Combine(folder, f.Name + suffix), f.Text)).ToList();
        try
        {
            foreach (var (_, temporary, text) in written)
            {
                await writeFile(temporary, text, cancellationToken).ConfigureAwait(false);
            }

            // Three renames in one folder: nothing left to run out of space or be stopped half way.
            foreach (var (target, temporary, _) in written)
            {
                File.Move(temporary, target, overwrite: true);
            }
        }
        finally
        {
            foreach (var (_, temporary, _) in written)
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>JUnit XML: a testsuite for the run, a testcase per golden case, a failure per failing case with its failed checks.</summary>
    public static string JUnitXml(EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var failures = run.Cases.Count(c => !c.Score.Passed);
        var suite = new XElement("testsuite",
            new XAttribute("name", $"{run.WorkflowId} golden set"),
            new XAttribute("tests", run.Cases.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("time", Seconds((run.FinishedAt - run.StartedAt).TotalMilliseconds)),
            new XAttribute("timestamp", run.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "run"), new XAttribute("value", run.Id)),
                new XElement("property", new XAttribute("name", "manifest_sha256"), new XAttribute("value", run.ManifestHash)),
                new XElement("property", new XAttribute("name", "golden_set_sha256"), new XAttribute("value", run.GoldenSetHash)),
                new XElement("property", new XAttribute("name", "verdict"), new XAttribute("value", run.Verdict.Clears ? "clears" : "fails"))));
        foreach (var c in run.Cases)
        {
            var testcase = new XElement("testcase",
                new XAttribute("classname", $"{run.WorkflowId}.{(c.Score.Tags.Count > 0 ? c.Score.Tags[0] : "untagged")}"),
                new XAttribute("name", c.CaseId),
                new XAttribute("time", Seconds(c.Output.LatencyMs)));
            if (!c.Score.Passed)
            {
                var failed = c.Score.Checks.Where(k => !k.Passed).Select(k => $"{Kind(k.Kind)} {k.Expected}: {k.Reason}").ToList();
                if (c.Passes > 0)
                {
                    failed.Add($"passed {c.Passes} of {c.Repeats} repeats; pass^k needs every one");
                }

                testcase.Add(new XElement("failure",
                    new XAttribute("message", failed.Count == 1 ? failed[0] : $"{failed.Count} checks failed: {failed[0]}"),
                    new XAttribute("type", "golden_case_failed"),
                    string.Join('\n', failed)));
            }

            suite.Add(testcase);
        }

        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite));
        return document.Declaration + "\n" + document.Root;
    }

    private static string Seconds(double ms) => (ms / 1000).ToString("0.000", CultureInfo.InvariantCulture);

    private static string Kind(CheckKind kind) => kind switch
    {
        CheckKind.Outcome => "outcome",
        CheckKind.Fact => "fact",
        CheckKind.Cite => "cite",
        CheckKind.Action => "action",
        _ => "no_action",
    };

    private static string F(double? value, string format = "0.000") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The HTML report: verdict table, per-tag pass rates with 95% Wilson whiskers, latency histogram, every case.</summary>
    public static string HtmlReport(EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(E($"Evaluation {run.Id} — {run.WorkflowId}")).Append("</title>\n<style>").Append(Style).Append("</style></head><body>\n");
        AppendBody(html, run);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    // The stand-alone file's style sheet (the console keeps its own layout and styles the report's classes itself).
    private const string Style =
        "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:1100px}" +
        "h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}" +
        "th,td{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f5f7}" +
        ".ok{color:#116329;font-weight:600}.bad{color:#b3261e;font-weight:600}.warn{color:#8a5a00;font-weight:600}" +
        ".verdict{display:inline-block;padding:.2rem .7rem;border-radius:4px;color:#fff}.verdict.ok{background:#1f883d}.verdict.bad{background:#cf222e}" +
        "code{font:12px ui-monospace,monospace}small{color:#57606a}svg text{font:11px system-ui,sans-serif}";

    /// <summary>
    /// The report without its document around it (heading, bar, charts, cases): what <see cref="HtmlReport"/> wraps, and
    /// what the console's run page shows inside its own layout. No script, no external asset.
    /// </summary>
    public static string HtmlReportBody(EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var html = new StringBuilder(64 * 1024);
        AppendBody(html, run);
        return html.ToString();
    }

    private static void AppendBody(StringBuilder html, EvaluationRun run)
    {
        var clears = run.Verdict.Clears;
        var passed = run.Cases.Count(c => c.Score.Passed);
        html.Append("<h1>Evaluation of ").Append(E(run.WorkflowId)).Append(run.Version is { } v ? E($" version {v}") : " (manifest file)")
            .Append(" <span class=\"verdict ").Append(clears ? "ok\">clears the bar" : "bad\">below the bar").Append("</span></h1>\n");
        html.Append("<p>Run <code>").Append(E(run.Id)).Append("</code>, ").Append(E(run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)))
            .Append(" UTC, ").Append(run.Cases.Count).Append(" cases, ").Append(passed).Append(" passed")
            .Append(run.Repeat > 1 ? $" (pass^{run.Repeat}: every one of {run.Repeat} repeats right)" : "").Append(".<br><small>manifest SHA-256 <code>")
            .Append(E(run.ManifestHash)).Append("</code>, golden set SHA-256 <code>").Append(E(run.GoldenSetHash)).Append("</code></small></p>\n");

        html.Append("<h2>Acceptance bar</h2>\n<table><tr><th>Metric</th><th>Tag</th><th>Value</th><th>Interval</th><th>Threshold</th><th>Status</th><th>Why</th></tr>\n");
        foreach (var c in run.Verdict.Criteria)
        {
            var cls = c.Status switch { CriterionStatus.Cleared => "ok", CriterionStatus.Failed => "bad", _ => "warn" };
            html.Append("<tr><td>").Append(E(c.Criterion.Metric)).Append("</td><td>").Append(E(c.Criterion.Tag ?? "all"))
                .Append("</td><td>").Append(F(c.Measured.Value)).Append("</td><td>")
                .Append(c.Interval is { } i ? $"[{F(i.Lower)}, {F(i.Upper)}] at {F(c.Criterion.Confidence, "0.##")}" : "direct")
                .Append("</td><td>").Append(E(EvaluationEvidence.Threshold(c.Criterion))).Append("</td><td class=\"").Append(cls).Append("\">")
                .Append(E(EvaluationEvidence.Status(c.Status).Replace('_', ' '))).Append("</td><td><small>").Append(E(c.Reason)).Append("</small></td></tr>\n");
        }

        html.Append("</table>\n");
        if (run.Verdict.Criteria.Count == 0)
        {
            html.Append("<p class=\"bad\">The manifest states no acceptance bar: an empty bar never clears.</p>\n");
        }

        html.Append("<h2>Cases passed per tag</h2>\n<p><small>Bars: share of the tag's cases that passed; whiskers: 95% Wilson interval.</small></p>\n");
        AppendTagChart(html, run);
        html.Append("<h2>Latency per case</h2>\n<p><small>p50 ").Append(F(run.Metrics.Overall[Metrics.P50LatencyMs].Value, "0.0")).Append(" ms, p95 ")
            .Append(F(run.Metrics.Overall[Metrics.P95LatencyMs].Value, "0.0")).Append(" ms, p99 ").Append(F(run.Metrics.Overall[Metrics.P99LatencyMs].Value, "0.0")).Append(" ms</small></p>\n");
        AppendLatencyHistogram(html, run);

        html.Append("<h2>Cases</h2>\n<table><tr><th>Case</th><th>Tags</th><th>Result</th><th>Failed checks</th><th>Proposed</th></tr>\n");
        foreach (var c in run.Cases.OrderBy(c => c.Score.Passed))
        {
            html.Append("<tr><td><code>").Append(E(c.CaseId)).Append("</code></td><td>").Append(E(string.Join(", ", c.Score.Tags)))
                .Append("</td><td class=\"").Append(c.Score.Passed ? "ok\">passed" : "bad\">failed")
                .Append(c.Repeats > 1 ? $" ({c.Passes}/{c.Repeats})" : "").Append("</td><td>");
            foreach (var k in c.Score.Checks.Where(k => !k.Passed))
            {
                html.Append(E($"{Kind(k.Kind)} {k.Expected}: {k.Reason}")).Append("<br>");
            }

            html.Append("</td><td>").Append(E(string.Join("; ", c.Output.Proposals.Select(p => $"{p.Action} ({p.Disposition})")))).Append("</td></tr>\n");
        }

        html.Append("</table>\n<p><small>Sandbox run: actions were decided by policy and the ladder, never executed.</small></p>\n");
    }

    private static void AppendTagChart(StringBuilder html, EvaluationRun run)
    {
        var rows = new List<(string Tag, int Passed, int Cases)> { ("all", run.Cases.Count(c => c.Score.Passed), run.Cases.Count) };
        rows.AddRange(run.Metrics.ByTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value.Passed, t.Value.Cases)));
        const int Label = 140, Width = 520, Row = 24;
        html.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"cases passed per tag\" width=\"{Label + Width + 120}\" height=\"{(rows.Count * Row) + 24}\">\n");
        for (var x = 0; x <= 4; x++)
        {
            var gx = Label + (Width * x / 4);
            html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{gx}\" y1=\"0\" x2=\"{gx}\" y2=\"{rows.Count * Row}\" stroke=\"#d8dee4\"/><text x=\"{gx}\" y=\"{(rows.Count * Row) + 14}\" text-anchor=\"middle\">{x * 25}%</text>\n");
        }

        for (var r = 0; r < rows.Count; r++)
        {
            var (tag, ok, n) = rows[r];
            var y = r * Row;
            var share = n == 0 ? 0 : (double)ok / n;
            var interval = Wilson.Interval(ok, n, 0.95);
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Label - 6}\" y=\"{y + 16}\" text-anchor=\"end\">{E(tag)}</text>");
            html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Label}\" y=\"{y + 5}\" width=\"{share * Width:0.#}\" height=\"14\" fill=\"{(share >= 0.9 ? "#1f883d" : share >= 0.7 ? "#bf8700" : "#cf222e")}\"><title>{E(tag)}: {ok} of {n}</title></rect>");
            if (n > 0)
            {
                double lo = Label + (interval.Lower * Width), hi = Label + (interval.Upper * Width);
                html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lo:0.#}\" y1=\"{y + 12}\" x2=\"{hi:0.#}\" y2=\"{y + 12}\" stroke=\"#1b1f24\"/><line x1=\"{lo:0.#}\" y1=\"{y + 7}\" x2=\"{lo:0.#}\" y2=\"{y + 17}\" stroke=\"#1b1f24\"/><line x1=\"{hi:0.#}\" y1=\"{y + 7}\" x2=\"{hi:0.#}\" y2=\"{y + 17}\" stroke=\"#1b1f24\"/>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Label + Width + 8}\" y=\"{y + 16}\">{ok}/{n}</text>\n");
        }

        html.Append("</svg>\n");
    }

    private static void AppendLatencyHistogram(StringBuilder html, EvaluationRun run)
    {
        const int Buckets = 20, Width = 660, Height = 160;
        var latencies = run.Cases.Select(c => c.Output.LatencyMs).ToList();
        var max = latencies.Count == 0 ? 1 : Math.Max(latencies.Max(), 0.001);
        var counts = new int[Buckets];
        foreach (var l in latencies)
        {
            counts[Math.Min(Buckets - 1, (int)(l / max * Buckets))]++;
        }

        var top = Math.Max(1, counts.Max());
        var bar = Width / Buckets;
        html.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"latency histogram\" width=\"{Width + 40}\" height=\"{Height + 36}\">\n");
        for (var b = 0; b < Buckets; b++)
        {
            var h = (double)counts[b] / top * Height;
            html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{(b * bar) + 20}\" y=\"{Height - h + 4:0.#}\" width=\"{bar - 2}\" height=\"{h:0.#}\" fill=\"#0969da\"><title>{b * max / Buckets:0.0}–{(b + 1) * max / Buckets:0.0} ms: {counts[b]} cases</title></rect>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"20\" y1=\"{Height + 4}\" x2=\"{Width + 20}\" y2=\"{Height + 4}\" stroke=\"#57606a\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"20\" y=\"{Height + 20}\">0 ms</text><text x=\"{Width + 20}\" y=\"{Height + 20}\" text-anchor=\"end\">{max:0.0} ms</text>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Width / 2) + 20}\" y=\"{Height + 32}\" text-anchor=\"middle\">tallest bar: {top} cases</text>\n</svg>\n");
    }
}
