namespace Skybridge.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output, as a terminal user would see it.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static async Task<CliRun> RunWithInputAsync(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var io = new CliIo(output, error, new StringReader(input), inputRedirected: true);
        var code = await CliApp.RunAsync(args, io, TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    /// <summary>
    /// A run that sees <paramref name="environment"/> in place of the process's variables of those names ($SKYBRIDGE_CACHE,
    /// $SKYBRIDGE_PROFILE): the tests running beside it keep theirs.
    /// </summary>
    public static async Task<CliRun> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var io = new CliIo(output, error, new StringReader(""), inputRedirected: true)
        {
            Environment = name => environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name),
        };
        var code = await CliApp.RunAsync(args, io, TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static string RepoRoot { get; } = FindRoot();

    public static string SampleManifest => Path.Combine(RepoRoot, "samples", "support-desk", "manifest.yaml");

    public static string FiveMistakes => Path.Combine(RepoRoot, "tests", "Skybridge.Core.Tests", "Manifests", "TestData", "five-mistakes.yaml");

    /// <summary>Copies the sample workflow's folder (manifest, golden set, knowledge base) into <paramref name="folder"/>, for a test to change.</summary>
    public static void CopySample(string folder)
    {
        var sample = Path.GetDirectoryName(SampleManifest)!;
        foreach (var file in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, Path.GetRelativePath(sample, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// The owner's reason for activating a fixture's manifest without a clearing evaluation (with
    /// <c>--by maria.lopez</c>, the sample's owner): tests of other commands need an active workflow, not evidence.
    /// </summary>
    public const string FixtureOverride = "test fixture: activated without an evaluation run";

    /// <summary>
    /// <paramref name="manifestYaml"/> with its <c>golden_set</c> line pinning <paramref name="goldenSetText"/>'s SHA-256,
    /// for a test that writes its own golden set beside a copy of the sample (the sample pins its own).
    /// </summary>
    public static string PinGoldenSet(string manifestYaml, string goldenSetText, string? sha256 = null) =>
        System.Text.RegularExpressions.Regex.Replace(manifestYaml, "^golden_set:.*$",
            "golden_set: { path: golden-set.yaml, sha256: " + (sha256 ?? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(goldenSetText)))) + " }",
            System.Text.RegularExpressions.RegexOptions.Multiline);

    public static string NewDataFolder() => Path.Combine(Path.GetTempPath(), "skybridge-cli-" + Guid.NewGuid().ToString("N"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find Skybridge.slnx above " + AppContext.BaseDirectory);
    }
}
