using System.Net.Http.Headers;
using System.Text;
using Skybridge.Application.Notifications;
using StandardWebhooks;

namespace Skybridge.Server.Hosting;

/// <summary>
/// Sends webhook messages as Standard Webhooks: a JSON body POSTed with <c>webhook-id</c>, <c>webhook-timestamp</c> and
/// <c>webhook-signature</c> (<c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c> under the webhook's secret). Redirects
/// are not followed (the manifest's URL is the only place a delivery goes) and an attempt lasts 10 seconds at most.
/// Only the status code of a refusal is kept: a receiver's answer body is never logged or stored.
/// </summary>
internal sealed class WebhookSender : IWebhookSender, IDisposable
{
    /// <summary>How long one attempt may take.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = AttemptTimeout,
    };

    public async Task<WebhookSendResult> SendAsync(WebhookMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var signature = new StandardWebhook(message.Secret).Sign(message.Id, message.Timestamp, message.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, message.Url)
        {
            Content = new StringContent(message.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("webhook-id", message.Id);
        request.Headers.Add("webhook-timestamp", message.Timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? WebhookSendResult.Ok : WebhookSendResult.Failed("HTTP " + (int)response.StatusCode);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return WebhookSendResult.Failed("timed out after " + AttemptTimeout.TotalSeconds + " s");
        }
        catch (HttpRequestException ex)
        {
            return WebhookSendResult.Failed("unreachable: " + (ex.HttpRequestError == HttpRequestError.Unknown ? "connection failed" : ex.HttpRequestError.ToString()));
        }
    }

    public void Dispose() => _http.Dispose();
}
