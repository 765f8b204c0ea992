namespace Skybridge.Server.Tests.Support;

/// <summary>Finds files of this checkout (samples, test data) from a test's output folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string SampleManifest => Path.Combine(Root, "samples", "support-desk", "manifest.yaml");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Skybridge.slnx) above " + AppContext.BaseDirectory);
    }
}
