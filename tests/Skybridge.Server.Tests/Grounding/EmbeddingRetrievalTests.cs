using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Grounding;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Grounding;

/// <summary>A node whose embedding model is a file that does not load; its help centre is the grounding tests' one.</summary>
public sealed class BrokenModelServer : RunningServer
{
    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with { EmbeddingModel = "/models/corrupt-minilm.onnx" };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var folder = Directory.CreateTempSubdirectory("skybridge-manifest-").FullName;
        var from = Path.Combine(RepoPaths.Root, "tests", "Skybridge.Grounding.Tests", "TestData", "kb");
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(folder, "knowledge-base", Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Assert.NotNull(await Services.GetRequiredService<GroundingService>().IngestAsync(Workflow, folder, "seed", default));
    }
}

/// <summary>Cases over sockets on a node whose embedding model fails to load: answers go on, by words.</summary>
public sealed class EmbeddingFallbackTests : IClassFixture<BrokenModelServer>
{
    private readonly BrokenModelServer _server;

    public EmbeddingFallbackTests(BrokenModelServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Case_WithACorruptModelPath_IsAnsweredByWords_AndTheDraftSaysSo()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, key);
        var draft = await EmbeddingRetrievalTests.SubmitAsync(agent, http, key, token, "When is my refund paid after I sent the return?");

        Assert.False(draft.GetProperty("abstained").GetBoolean(), draft.ToString());
        Assert.Equal("words", draft.GetProperty("retrieval").GetString());
        Assert.Contains(draft.GetProperty("citations").EnumerateArray(), c => c.GetProperty("document").GetString() == "returns/refund-policy.md");
        Assert.Empty(await _server.Store.GetPassageVectorsAsync("/models/corrupt-minilm.onnx", ["0000"], Ct));
    }
}

/// <summary>Cases over sockets on a node with the built-in model: fused retrieval, vectors kept in the store.</summary>
public sealed class EmbeddingRetrievalTests : IClassFixture<GroundedServer>
{
    private readonly GroundedServer _server;

    public EmbeddingRetrievalTests(GroundedServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<JsonElement> SubmitAsync(AgentKit agent, HttpClient http, System.Security.Cryptography.ECDsa key, string token, string text)
    {
        var url = agent.Issuer + "/api/cases";
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { text }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", AgentKit.Proof(key, "POST", url, accessToken: token));
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    [Fact]
    public async Task Case_OnANodeWithTheBuiltinModel_IsRetrievedByMeaningToo_AndTheVectorsAreStored()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, key);
        var draft = await SubmitAsync(agent, http, key, token, "When is my refund paid after I sent the return?");

        Assert.Equal("fused", draft.GetProperty("retrieval").GetString());
        var index = await _server.Services.GetRequiredService<GroundingService>().IndexAsync(RunningServer.Workflow, embedding: null, Ct);
        var digests = PassageDigests(index);
        Assert.NotEmpty(digests);
        // The store holds every passage's vector under the model's id: a restarted node or a second one embeds nothing again.
        var stored = await _server.Store.GetPassageVectorsAsync(MiniLmSentenceEmbedder.Instance.ModelId, digests, Ct);
        Assert.Equal(digests.Count, stored.Count);
    }

    private static List<string> PassageDigests(Skybridge.Grounding.Retrieval.PassageIndex index) =>
        [.. index.Documents.Values.Where(d => !d.IsOutdated).SelectMany(d => Skybridge.Core.Grounding.PassageSplitter.Split(d.Text).Select(s => Skybridge.Core.Ledger.TextDigest.Sha256(s.Of(d.Text)))).Distinct()];
}
