using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Skybridge.Application.Evaluation;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>eval-run [CASES] [--parallel N]</c>: a golden set of CASES cases (default 1,000), made by repeating the sample's
/// 181 cases with new ids and ticket ids, run against the sample manifest with the built-in engine exactly as
/// <c>skybridge eval run MANIFEST --out DIR</c> runs it: loading and validating, every case drafted and its action
/// decided, metrics, verdict, and report.html, junit.xml and results.json written. Target: 1,000 cases in 10 s or less
/// on 2 cores. <c>--embeddings [--cache DIR]</c> retrieves by words and meaning, as <c>eval run</c> does by default, with
/// the passages' vectors in DIR (default a folder under the temporary folder that outlives the run, so a second run
/// measures an unchanged corpus); every question is still embedded (issue target with embeddings: 30 s).
/// </summary>
internal static partial class EvalRun
{
    [GeneratedRegex(@"^  - id: (?<id>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CaseStart();

    [GeneratedRegex(@"ticket_id: (?<t>RT-\d+)")]
    private static partial Regex TicketId();

    public static async Task<int> RunAsync(string[] args)
    {
        var cases = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) ? n : 1000;
        var parallel = Array.IndexOf(args, "--parallel") is var p and >= 0 && p + 1 < args.Length ? int.Parse(args[p + 1], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var embeddings = Array.IndexOf(args, "--embeddings") >= 0;
        var cache = Array.IndexOf(args, "--cache") is var c and >= 0 && c + 1 < args.Length ? args[c + 1] : Path.Combine(Path.GetTempPath(), "skybridge-bench-vectors");
        var dense = embeddings
            ? new Skybridge.Grounding.Retrieval.Embeddings.DenseRetrieval(
                Skybridge.Grounding.Retrieval.Embeddings.SentenceEmbedders.Create(Skybridge.Grounding.Retrieval.Embeddings.SentenceEmbedders.Builtin)!,
                new Skybridge.Grounding.Retrieval.Embeddings.FolderVectorCache(cache), message => Console.Error.WriteLine("warning: " + message))
            : null;
        var root = FindRoot();
        var folder = Directory.CreateTempSubdirectory("skybridge-eval-bench-").FullName;
        try
        {
            var sample = Path.Combine(root, "samples", "support-desk");
            foreach (var file in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(folder, Path.GetRelativePath(sample, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            var golden = Generate(await File.ReadAllTextAsync(Path.Combine(sample, "golden-set.yaml")), cases);
            await File.WriteAllTextAsync(Path.Combine(folder, "golden-set.yaml"), golden);
            // The sample pins its own golden set; this one is pinned in the copy's manifest the same way.
            var manifestPath = Path.Combine(folder, "manifest.yaml");
            await File.WriteAllTextAsync(manifestPath, Regex.Replace(await File.ReadAllTextAsync(manifestPath), "^golden_set:.*$",
                "golden_set: { path: golden-set.yaml, sha256: " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(golden))) + " }", RegexOptions.Multiline));
            var outDir = Path.Combine(folder, "out");

            var total = Stopwatch.StartNew();
            var prepared = await EvaluationSubjects.FromManifestFileAsync(Path.Combine(folder, "manifest.yaml"), CancellationToken.None);
            if (prepared.Subject is not { } subject)
            {
                Console.Error.WriteLine(string.Join('\n', prepared.Problems));
                return 2;
            }

            var loaded = total.Elapsed;
            var run = await EvaluationRunner.RunAsync(subject, new EvaluationOptions { Parallelism = parallel, Dense = dense }, TimeProvider.System);
            var ran = total.Elapsed;
            await EvaluationReports.WriteAsync(run, outDir, CancellationToken.None);
            total.Stop();

            var passed = run.Cases.Count(c => c.Score.Passed);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"eval-run: {run.Cases.Count} cases ({passed} passed), {(dense is null ? "words only" : "words and meaning")}, {Environment.ProcessorCount} processors, parallel {parallel}: {total.Elapsed.TotalSeconds:0.00} s in all " +
                $"(load and validate {loaded.TotalSeconds:0.00} s, run {(ran - loaded).TotalSeconds:0.00} s, report {(total.Elapsed - ran).TotalSeconds:0.00} s); " +
                $"per case p50 {run.Metrics.Overall["p50_latency_ms"].Value:0.00} ms, p95 {run.Metrics.Overall["p95_latency_ms"].Value:0.00} ms; " +
                $"report.html {new FileInfo(Path.Combine(outDir, EvaluationReports.Html)).Length / 1024} KiB"));
            return total.Elapsed.TotalSeconds <= (dense is null ? 10 : 30) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The sample's cases repeated until there are <paramref name="count"/>, each copy with its own id and ticket id.</summary>
    internal static string Generate(string sample, int count)
    {
        var starts = CaseStart().Matches(sample).Select(m => m.Index).ToList();
        var header = sample[..starts[0]];
        var blocks = starts.Select((s, i) => sample[s..(i + 1 < starts.Count ? starts[i + 1] : sample.Length)].TrimEnd() + "\n").ToList();
        var text = new StringBuilder(header);
        for (var i = 0; i < count; i++)
        {
            var block = blocks[i % blocks.Count];
            var copy = i / blocks.Count;
            if (copy > 0)
            {
                block = CaseStart().Replace(block, m => $"  - id: {m.Groups["id"].Value}-r{copy}", 1);
                block = TicketId().Replace(block, m => $"ticket_id: {m.Groups["t"].Value}{copy}", 1);
            }

            text.Append(block).Append('\n');
        }

        return text.ToString();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
    }
}
