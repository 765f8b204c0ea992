using System.CommandLine;
using Skybridge.Grounding.Documents;

namespace Skybridge.Cli;

/// <summary>
/// How <c>ask</c> and <c>eval run</c> on a manifest tell of the files the reader of its sources skipped, on standard
/// error. A file it could not read (binary, not UTF-8, too large, a format not declared, a link it does not follow) is
/// named with its reason every time: its owner has something to fix. The pages it leaves out on purpose (link lists,
/// pages of nothing but site chrome) are the same on every run of an unchanged corpus, two dozen of them on a real
/// documentation set: they are counted in one line per source, and named one by one with <c>--show-skipped</c>.
/// </summary>
internal sealed class CliSkippedFiles(TextWriter error, bool showAll)
{
    /// <summary><c>--show-skipped</c>: name every skipped file, the pages left out on purpose too.</summary>
    public static Option<bool> ShowAll { get; } = new("--show-skipped")
    {
        Description = "Name every file the sources' reader skipped, with its reason, the pages it leaves out on purpose (link lists, site chrome) too; without it they are counted.",
    };

    private readonly List<(string Source, SkippedFile File)> _onPurpose = [];

    /// <summary>Takes one skipped file: a file that could not be read is named at once; a page left out on purpose is kept for <see cref="Flush"/>.</summary>
    public void Add(string source, SkippedFile file)
    {
        if (file.LeftOutOnPurpose && !showAll)
        {
            _onPurpose.Add((source, file));
            return;
        }

        error.WriteLine($"skipped {source}/{file.Path}: {file.Reason}");
    }

    /// <summary>One line per source for the pages left out on purpose that <see cref="Add"/> kept.</summary>
    public void Flush()
    {
        foreach (var group in _onPurpose.GroupBy(s => s.Source, StringComparer.Ordinal))
        {
            var n = group.Count();
            error.WriteLine($"{group.Key}: {n} page{(n == 1 ? "" : "s")} left out of retrieval on purpose (link lists or site chrome, nothing to fix); --show-skipped names {(n == 1 ? "it" : "each")}.");
        }

        _onPurpose.Clear();
    }
}
