using Skybridge.Application.Grounding;

namespace Skybridge.Server.Console;

/// <summary>Links to the console page that shows one version of a source document with a span highlighted.</summary>
public static class SourceView
{
    /// <summary><c>/workflows/WF/sources/SOURCE/PATH?version=V&amp;start=S&amp;end=E</c>.</summary>
    public static string Link(string workflow, string source, string path, string version, int start, int end) =>
        $"/workflows/{Uri.EscapeDataString(workflow)}/sources/{Uri.EscapeDataString(source)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}?version={version}&start={start}&end={end}";
}
