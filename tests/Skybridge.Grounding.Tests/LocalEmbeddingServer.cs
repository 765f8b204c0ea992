using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A local server speaking the OpenAI embeddings protocol (<c>POST /v1/embeddings</c>, floats or base64 as the request
/// asks), over a real socket: a hosted embedding endpoint cannot run here. Its vectors are the built-in model's, times
/// <see cref="Scale"/> (servers need not normalise), so what the remote path retrieves can be set beside the built-in one.
/// </summary>
internal sealed class LocalEmbeddingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private int _failures;

    private LocalEmbeddingServer(WebApplication app) => _app = app;

    /// <summary>The base URL a manifest names (<c>http://127.0.0.1:PORT/v1</c>).</summary>
    public Uri Endpoint => new(_app.Urls.First() + "/v1");

    /// <summary>How many texts each request carried, in order.</summary>
    public List<int> Batches { get; } = [];

    /// <summary>Every text the server was sent.</summary>
    public List<string> Texts { get; } = [];

    /// <summary>The Authorization header of each request.</summary>
    public List<string> Authorizations { get; } = [];

    /// <summary>Multiplies every vector (a server is not bound to send unit vectors).</summary>
    public float Scale { get; set; } = 3f;

    /// <summary>Keeps only the first this many numbers of each vector (another model answering), when set.</summary>
    public int? Truncate { get; set; }

    /// <summary>How long each request waits before it is answered (a server that hangs), when set.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>Answers with arrays of numbers even when base64 is asked for, as some servers do.</summary>
    public bool NumbersOnly { get; set; }

    /// <summary>The next <paramref name="count"/> requests are answered 503, as a server restarting is.</summary>
    public void FailNext(int count)
    {
        lock (_gate)
        {
            _failures = count;
        }
    }

    public static async Task<LocalEmbeddingServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new LocalEmbeddingServer(app);
        app.MapPost("/v1/embeddings", async (HttpRequest request) =>
        {
            var body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!;
            if (server.Delay is { } delay)
            {
                await Task.Delay(delay, request.HttpContext.RequestAborted);
            }

            var inputs = body["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
            lock (server._gate)
            {
                server.Authorizations.Add(request.Headers.Authorization.ToString());
                if (server._failures > 0)
                {
                    server._failures--;
                    return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
                }

                server.Batches.Add(inputs.Count);
                server.Texts.AddRange(inputs);
            }

            var vectors = MiniLmSentenceEmbedder.Instance.Embed(inputs, CancellationToken.None)
                .Select(v => v.Take(server.Truncate ?? v.Length).Select(x => x * server.Scale).ToArray())
                .ToList();
            var base64 = body["encoding_format"]?.GetValue<string>() == "base64" && !server.NumbersOnly;
            return Results.Json(new
            {
                @object = "list",
                model = body["model"]?.GetValue<string>(),
                data = vectors.Select((v, i) => new
                {
                    @object = "embedding",
                    index = i,
                    embedding = base64 ? (object)Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())) : v,
                }),
                usage = new { prompt_tokens = inputs.Count, total_tokens = inputs.Count },
            });
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
