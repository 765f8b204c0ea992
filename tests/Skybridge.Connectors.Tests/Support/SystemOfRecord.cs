using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Skybridge.Connectors.Tests.Support;

/// <summary>What the system of record saw of one request.</summary>
public sealed record SeenRequest(string Method, string Path, string? IdempotencyKey, string? Authorization, string? ApiKey, string? CaseId, string Body, string? DPoP = null);

/// <summary>
/// A real HTTP server on a free loopback port playing a system of record with canned behaviours, chosen by the first
/// path segment (the connector's endpoint): <c>ok</c>, <c>refuse</c>, <c>fail-then-ok/{status}</c> (fails the first
/// time each idempotency key is seen), <c>status/{code}</c>, <c>slow</c>, <c>garbage</c>, <c>huge</c>, <c>reset</c>,
/// <c>echo</c> (answers with the request's headers). It records every request it saw.
/// </summary>
public sealed class SystemOfRecord : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _seenKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SeenRequest> _seen = new();
    private TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SystemOfRecord(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<SeenRequest> Seen => [.. _seen];

    /// <summary>Completes when the next request arrives: read it before the call that sends the request starts.</summary>
    public Task NextRequest => _received.Task;

    public Uri Endpoint(string behaviour) => new(BaseAddress, behaviour);

    public static async Task<SystemOfRecord> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        SystemOfRecord? self = null;
        var app = builder.Build();
        app.Run(context => self!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new SystemOfRecord(app, new Uri(address + "/"));
        return self;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var key = request.Headers["Idempotency-Key"].FirstOrDefault();
        var seen = new SeenRequest(request.Method, request.Path.Value ?? "", key, request.Headers.Authorization.FirstOrDefault(),
            request.Headers["X-Api-Key"].FirstOrDefault(), request.Headers["Skybridge-Case"].FirstOrDefault(), body, request.Headers["DPoP"].FirstOrDefault());
        _seen.Enqueue(seen);
        Interlocked.Exchange(ref _received, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        var segments = (request.Path.Value ?? "").Trim('/').Split('/');
        var response = context.Response;
        switch (segments[0])
        {
            case "ok":
                await Json(response, 200, $$"""{"reference":"T-{{_seen.Count}}","action":"{{segments[^1]}}","received":{{body}}}""");
                break;
            case "refuse":
                await Json(response, 422, """{"type":"about:blank","title":"Refund above the order total","status":422}""");
                break;
            case "fail-then-ok":
                var times = _seenKeys.AddOrUpdate(key ?? "", 1, (_, n) => n + 1);
                await Json(response, times == 1 ? int.Parse(segments[1], System.Globalization.CultureInfo.InvariantCulture) : 201,
                    times == 1 ? """{"title":"try later"}""" : """{"id":4711}""");
                break;
            case "status":
                await Json(response, int.Parse(segments[1], System.Globalization.CultureInfo.InvariantCulture), """{"title":"as asked"}""");
                break;
            case "slow":
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up, as the test wants.
                }

                break;
            case "garbage":
                response.StatusCode = 200;
                response.ContentType = "application/json";
                await response.WriteAsync("<html><body>Internal gateway page</body>", context.RequestAborted);
                break;
            case "huge":
                // Chunked (no Content-Length), so the connector has to stop reading by itself.
                response.StatusCode = 200;
                response.ContentType = "application/json";
                await response.WriteAsync("{\"padding\":\"", context.RequestAborted);
                var chunk = new string('x', 64 * 1024);
                for (var i = 0; i < 40 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await response.WriteAsync(chunk, context.RequestAborted);
                }

                await response.WriteAsync("\"}", context.RequestAborted);
                break;
            case "reset":
                context.Abort();
                break;
            case "echo":
                var headers = string.Join(",", request.Headers.Select(h => $"\"{h.Key}\":{System.Text.Json.JsonSerializer.Serialize(h.Value.ToString())}"));
                await Json(response, segments.Length > 1 && segments[1] == "refuse" ? 400 : 200, "{\"headers\":{" + headers + "}}");
                break;
            default:
                await Json(response, 404, """{"title":"no such behaviour"}""");
                break;
        }
    }

    private static Task Json(HttpResponse response, int status, string json)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
