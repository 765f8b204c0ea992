using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Skybridge.Grounding.Tests;

/// <summary>A local server speaking the OpenAI chat completions protocol: a hosted model cannot run here.</summary>
internal sealed class FakeOpenAi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOpenAi(WebApplication app) => _app = app;

    public List<string> Requests { get; } = [];

    public string Url => _app.Urls.First();

    public static async Task<FakeOpenAi> StartAsync(Func<JsonNode, string> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeOpenAi(app);
        app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            lock (fake.Requests)
            {
                fake.Requests.Add(body);
            }

            var content = answer(JsonNode.Parse(body)!);
            return Results.Json(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 1_700_000_000, model = "local-test",
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
            });
        });
        await app.StartAsync();
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
