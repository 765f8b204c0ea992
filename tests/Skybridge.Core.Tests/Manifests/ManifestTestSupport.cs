using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Manifests;

/// <summary>A small valid manifest that tests break one line at a time, and helpers to locate text in it.</summary>
internal static class ManifestTestSupport
{
    public const string FileName = "demo.yaml";

    public const string ValidManifest = """
        id: demo-desk
        name: Demo desk
        owner: user:ann
        authorities:
          approve:
            refund: [group:leads]
          review: [group:qa]
          monitor: [group:ops]
          recalibrate: [user:ann]
          halt: [group:ops]
          sign_gates: [user:ann]
        agents:
          - role: responder
            scopes: [cases:write]
        sources:
          - name: kb
            path: kb
            formats: [markdown]
            classification: internal
        model:
          provider: builtin-extractive
          trains_on_data: false
        connectors:
          - name: billing
            type: http
            endpoint: https://billing.example.internal/api
        actions:
          - name: refund
            connector: billing
            consequence: consequential
            parameters:
              amount: { type: number, required: true, minimum: 0 }
        policy:
          rules:
            - id: refund-small
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { amount: { lte: 50 } }
              approval: none
        autonomy:
          level: L0-draft
        acceptance_bar:
          - metric: answer_accuracy
            min: 0.9
        golden_set: golden-set.yaml
        assumptions:
          - id: kb-fresh
            metric: kb_days_since_update
            max: 30
            check_every: 1h
            escalate_to: [user:ann]
        dependencies:
          - name: finance
            contact: user:jo
            notify_on: [activate]

        """;

    /// <summary>The valid manifest with one piece of text replaced (which must be present).</summary>
    public static string With(string find, string replace)
    {
        Assert.Contains(find, ValidManifest, StringComparison.Ordinal);
        return ValidManifest.Replace(find, replace, StringComparison.Ordinal);
    }

    /// <summary>1-based line and column of the first occurrence of <paramref name="anchor"/>.</summary>
    public static (int Line, int Column) Locate(string text, string anchor)
    {
        var index = text.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(index >= 0, $"anchor '{anchor}' not in text");
        var line = 1 + text[..index].Count(c => c == '\n');
        var column = index - (text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        if (index == 0)
        {
            column = 1;
        }

        return (line, column);
    }

    /// <summary>The only diagnostic with <paramref name="code"/>; fails listing all diagnostics otherwise.</summary>
    public static Diagnostic Single(ManifestLoadResult result, string code)
    {
        var matches = result.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(matches.Count == 1, $"expected one {code}, got:\n{string.Join('\n', result.Diagnostics)}");
        return matches[0];
    }

    public static void AssertAt(Diagnostic diagnostic, (int Line, int Column) expected)
    {
        Assert.Equal(FileName, diagnostic.Location.File);
        Assert.Equal(expected, (diagnostic.Location.Line, diagnostic.Location.Column));
    }

    /// <summary>Walks up from the test output folder to the folder holding Skybridge.slnx.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Skybridge.slnx not found above " + AppContext.BaseDirectory);
    }

    public static ManifestValidationContext AllFilesExist { get; } = new() { FileExists = _ => true };
}
