using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

/// <summary>The <c>responder</c> section: what a case proposes by itself, and how its parameters are filled.</summary>
public sealed class ResponderManifestTests
{
    private static string WithResponder(string section) => With("\ndependencies:", "\n" + section + "dependencies:");

    [Fact]
    public void Load_ReadsRoleStepsAndTemplates_WhenResponderIsValid()
    {
        var result = ManifestLoader.Load(WithResponder("responder:\n  on_abstain: { action: refund, parameters: { amount: 0 } }\n"), FileName, AllFilesExist);

        Assert.True(result.IsValid, string.Join('\n', result.Diagnostics));
        var responder = result.Manifest!.Responder!;
        Assert.Equal("responder", responder.Role);
        Assert.Null(responder.OnAnswer);
        Assert.Equal("refund", responder.OnAbstain!.Action);
        Assert.Equal([new ResponderParameter("amount", "0")], responder.OnAbstain.Parameters);
    }

    [Fact]
    public void Load_ReportsUnfilledRequiredParameter_WhenResponderLeavesItOut()
    {
        var text = WithResponder("responder:\n  on_answer: { action: refund, parameters: {} }\n");

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.ResponderParametersMismatch);
        Assert.Contains("responder on_answer does not fill required parameter 'amount' of action 'refund'", diagnostic.Message, StringComparison.Ordinal);
        AssertAt(diagnostic, Locate(text, "{} }"));
    }

    [Fact]
    public void Load_RefusesPlaceholderInNumberParameter_BecauseItGivesText()
    {
        var text = WithResponder("responder:\n  on_answer: { action: refund, parameters: { amount: \"{case.amount}\" } }\n");

        var result = ManifestLoader.Load(text, FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.ResponderParametersMismatch);
        Assert.Contains("fills number parameter 'amount' of action 'refund' from a placeholder", diagnostic.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Load_RefusesDraftAnswer_WhenStepIsOnAbstain()
    {
        var result = ManifestLoader.Load(WithResponder("responder:\n  on_abstain: { action: refund, parameters: { amount: \"{draft.answer}\" } }\n"), FileName, AllFilesExist);

        Assert.Contains("is empty when the draft abstains", Single(result, DiagnosticCodes.UnknownResponderPlaceholder).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AcceptsResponderOfSampleManifest()
    {
        var folder = Path.Combine(RepoRoot(), "samples", "support-desk");
        var result = ManifestLoader.Load(File.ReadAllText(Path.Combine(folder, "manifest.yaml")), "manifest.yaml",
            new ManifestValidationContext { FileExists = p => File.Exists(Path.Combine(folder, p)) });

        Assert.True(result.IsValid, string.Join('\n', result.Diagnostics));
        Assert.Equal("reply", result.Manifest!.Responder!.OnAnswer!.Action);
        Assert.Equal("escalate", result.Manifest.Responder.OnAbstain!.Action);
    }

    [Fact]
    public void Fill_ReplacesPlaceholdersAndListsMissingOnes_WhenCaseLacksAttribute()
    {
        var action = new ActionDefinition
        {
            Name = "reply",
            Connector = "helpdesk",
            Consequence = ActionConsequence.Routine,
            Parameters =
            [
                new ActionParameter { Name = "ticket_id", Type = ParameterType.String, Required = true },
                new ActionParameter { Name = "body", Type = ParameterType.String, Required = true },
                new ActionParameter { Name = "priority", Type = ParameterType.Integer },
            ],
        };
        var step = new ResponderStep
        {
            Action = "reply",
            Parameters = [new("ticket_id", "{case.ticket_id}"), new("body", "Hello {case.name},\n{draft.answer}"), new("priority", "2")],
        };

        var filled = ResponderTemplates.Fill(step, action, name => name == "draft.answer" ? "Returns take 30 days." : null, out var missing);

        Assert.Equal("""{"ticket_id":"","body":"Hello ,\nReturns take 30 days.","priority":2}""", filled.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal(["case.ticket_id", "case.name"], missing);
    }
}
