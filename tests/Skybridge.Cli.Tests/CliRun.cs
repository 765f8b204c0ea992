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
