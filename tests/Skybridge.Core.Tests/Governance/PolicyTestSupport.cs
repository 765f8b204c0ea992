using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Governance;

/// <summary>Small manifests with hand-written rules, the sample manifest, and request builders.</summary>
internal static class PolicyTestSupport
{
    public const string FileName = "policy.yaml";

    /// <summary>A manifest with three actions (routine, consequential, prohibited) and the rules given.</summary>
    public static string ManifestWith(string rules, string extraAgents = "") => $$"""
        id: demo-desk
        name: Demo desk
        owner: user:ann
        authorities:
          approve:
            refund: [group:leads, user:lee]
            reply: [user:lee]
          review: [group:qa]
          monitor: [group:ops]
          recalibrate: [user:ann]
          halt: [group:ops]
          sign_gates: [user:ann]
        agents:
          - role: responder
            scopes: [cases:write, actions:propose]
          - role: researcher
            scopes: [cases:read]
        {{extraAgents}}
        model:
          provider: builtin-extractive
          trains_on_data: false
        connectors:
          - name: desk
            type: http
            endpoint: https://desk.example.internal/api
        actions:
          - name: reply
            connector: desk
            consequence: routine
            parameters:
              body: { type: string, required: true }
              urgent: { type: boolean }
          - name: refund
            connector: desk
            consequence: consequential
            parameters:
              amount: { type: number, required: true, minimum: 0 }
              currency: { type: string, required: true, enum: [EUR, USD] }
              note: { type: string }
          - name: wipe
            connector: desk
            consequence: prohibited
        policy:
          rules:
            {{Indent(rules, 4)}}
        autonomy:
          level: L0-draft
        acceptance_bar:
          - metric: answer_accuracy
            min: 0.9

        """;

    public static WorkflowManifest Load(string yaml)
    {
        var result = ManifestLoader.Load(yaml, FileName);
        Assert.True(result.Manifest is not null, string.Join('\n', result.Diagnostics));
        return result.Manifest;
    }

    public static CompiledPolicy Compile(string rules) => CompiledPolicy.Compile(Load(ManifestWith(rules)));

    public static CompiledPolicy Sample()
    {
        var path = Path.Combine(Manifests.ManifestTestSupport.RepoRoot(), "samples", "support-desk", "manifest.yaml");
        var result = ManifestLoader.Load(File.ReadAllText(path), "manifest.yaml", new ManifestValidationContext { FileExists = _ => true });
        Assert.True(result.Manifest is not null, string.Join('\n', result.Diagnostics));
        return CompiledPolicy.Compile(result.Manifest);
    }

    public static PolicyRequest Refund(double amount, string currency = "EUR", string role = "responder") => new()
    {
        AgentRole = role,
        Action = "refund",
        Resource = "case-1",
        Parameters = new[] { PolicyArgument.Of("order_id", "SO-000001"), PolicyArgument.Of("amount", amount), PolicyArgument.Of("currency", currency) },
    };

    public static PolicyRequest Call(string action, string role = "responder", params PolicyArgument[] parameters) => new()
    {
        AgentRole = role,
        Action = action,
        Parameters = parameters,
    };

    private static string Indent(string text, int spaces)
    {
        var pad = new string(' ', spaces);
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Trim('\n').Split('\n');
        return string.Join("\n", lines.Select((l, i) => i == 0 ? l : pad + l));
    }
}
