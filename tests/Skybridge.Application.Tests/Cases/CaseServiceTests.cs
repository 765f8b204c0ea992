using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Skybridge.Application.Cases;
using Skybridge.Application.Grounding;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tests.Cases;

/// <summary>The case path over a real store: the version a case records is the version that answered it.</summary>
public sealed class CaseServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.Combine(TestStore.RepoRoot, "samples", "support-desk");

    /// <summary>
    /// The sample manifest with another retrieval floor: the sample's answers the question, an unreachable one retrieves
    /// nothing and so abstains.
    /// </summary>
    private static string SampleWith(double minScore)
    {
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml"));
        Assert.Contains("min_score: 0.2", yaml, StringComparison.Ordinal);
        return yaml.Replace("min_score: 0.2", FormattableString.Invariant($"min_score: {minScore}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_RecordsTheVersionThatAnswered_WhileVersionsAreActivatedConcurrently()
    {
        await using var test = await TestStore.OpenAsync();
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var probe = (Func<string, bool>)(path => Path.Exists(Path.Combine(SampleFolder, path)));
        var answering = await manifests.PublishAsync(SampleWith(0.2), "manifest.yaml", probe, "owner", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        var abstaining = await manifests.PublishAsync(SampleWith(1000), "manifest.yaml", probe, "owner", activate: false, Ct);
        Assert.True(answering.IsValid && abstaining.IsValid, string.Join("\n", answering.Diagnostics.Concat(abstaining.Diagnostics)));
        var workflow = answering.WorkflowId!;
        var (v1, v2) = (answering.Published!.Version.Version, abstaining.Published!.Version.Version);

        using var grounding = new GroundingService(test.Store, test.Store, test.Ledger, TimeProvider.System);
        Assert.NotNull(await grounding.IngestAsync(workflow, SampleFolder, "owner", Ct));
        var cases = new CaseService(new StoredActiveManifests(test.Store), grounding, test.Ledger, TimeProvider.System);

        // One task flips the active version as fast as it can while cases are answered.
        using var stop = new CancellationTokenSource();
        var flipper = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await manifests.ActivateAsync(workflow, i % 2 == 0 ? v2 : v1, "owner", new ActivationOverride("fixture flips versions without an evaluation run", LocalSetup: true), Ct);
            }
        }, Ct);

        var results = new List<CaseResult>();
        for (var i = 0; i < 80; i++)
        {
            results.Add(await cases.SubmitAsync(workflow, "How long does a refund take after you receive my return?", [LedgerActor.Agent("support-desk/responder")], "support-desk/responder", halted: false, Ct));
        }

        await stop.CancelAsync();
        await flipper;

        foreach (var result in results)
        {
            Assert.Equal(CaseOutcome.Drafted, result.Outcome);
            var trail = await test.Store.ReadLedgerCaseAsync(result.CaseId!, Ct);
            var versions = trail.Select(e => JsonDocument.Parse(e.Body).RootElement.GetProperty("workflow").GetProperty("version").GetInt32()).Distinct().ToList();
            var recorded = Assert.Single(versions);
            Assert.Equal(result.Version, recorded);
            // The version that answered decides the outcome: v1 answers, v2 abstains.
            Assert.Equal(recorded == v2, result.Draft!.Abstained);
            Assert.NotNull(await test.Store.GetCaseAsync(result.CaseId!, Ct));
        }

        Assert.Contains(results, r => r.Version == v1);
        Assert.Contains(results, r => r.Version == v2);
    }

    [Fact]
    public async Task Submit_RecordsWhyEachClaimWasDropped_InTheDraftAndItsLedgerEvent()
    {
        await using var test = await TestStore.OpenAsync();
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var probe = (Func<string, bool>)(path => Path.Exists(Path.Combine(SampleFolder, path)));
        var published = await manifests.PublishAsync(SampleWith(0.2), "manifest.yaml", probe, "owner", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        using var grounding = new GroundingService(test.Store, test.Store, test.Ledger, TimeProvider.System);
        Assert.NotNull(await grounding.IngestAsync(published.WorkflowId!, SampleFolder, "owner", Ct));
        // An engine whose one claim quotes real words of a passage that do not say what it claims, and one citing nothing real.
        var cases = new CaseService(new StoredActiveManifests(test.Store), grounding, test.Ledger, TimeProvider.System, _ => new MisquotingEngine());

        var result = await cases.SubmitAsync(published.WorkflowId!, "How long does a refund take after you receive my return?", [LedgerActor.Agent("support-desk/responder")], "support-desk/responder", halted: false, Ct);

        Assert.Equal("no_supported_claim", result.Draft!.Reason);
        Assert.Equal(["number_not_in_quote", "no_verified_citation"], result.Draft.UnsupportedReasons);
        var drafted = JsonNode.Parse(Assert.Single(await test.Store.ReadLedgerCaseAsync(result.CaseId!, Ct), e => e.Type == LedgerEventTypes.DraftCreated).Body)!;
        Assert.Equal(2, (int)drafted["content"]!["unsupported_claims"]!);
        Assert.Equal(["number_not_in_quote", "no_verified_citation"], drafted["content"]!["unsupported_reasons"]!.AsArray().Select(r => (string)r!));
        Assert.DoesNotContain("99 days", drafted.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>Quotes the opening words of the first passage for a claim they do not make.</summary>
    private sealed class MisquotingEngine : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var request = JsonNode.Parse(messages.Last().Text)!;
            var passage = request["passages"]![0]!;
            var text = ((string)passage["text"]!).Trim();
            var quote = text[..Math.Min(30, text.Length)].Trim();
            var reply = new JsonObject
            {
                ["claims"] = new JsonArray(
                    new JsonObject { ["text"] = "Refunds take 99 days.", ["citations"] = new JsonArray(new JsonObject { ["passage"] = (string)passage["id"]!, ["quote"] = quote }) },
                    new JsonObject { ["text"] = "Refunds are instant.", ["citations"] = new JsonArray(new JsonObject { ["passage"] = (string)passage["id"]!, ["quote"] = "refunds are instant" }) }),
            };
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply.ToJsonString())));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
