namespace Skybridge.Application.Notifications;

/// <summary>
/// Sends one signed webhook message (the host implements it with a Standard Webhooks library and an HTTP client).
/// Expected failures (refused, timed out, unreachable) are results, not exceptions.
/// </summary>
public interface IWebhookSender
{
    /// <summary>POSTs <paramref name="message"/>, signed with its secret, and says whether the receiver accepted it (2xx).</summary>
    Task<WebhookSendResult> SendAsync(WebhookMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// One delivery attempt. <see cref="Id"/> is the same on every attempt at the same event (receivers deduplicate on it);
/// <see cref="Timestamp"/> is the attempt's time, signed with the body.
/// </summary>
public sealed record WebhookMessage(Uri Url, string Id, DateTimeOffset Timestamp, string Body)
{
    /// <summary>The signing secret (Standard Webhooks form); never printed.</summary>
    public required string Secret { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"WebhookMessage({Id} to {Url})";
}

/// <summary>What became of an attempt: accepted, or why not (a status code or error kind, never a body).</summary>
public sealed record WebhookSendResult(bool Accepted, string? Error)
{
    /// <summary>The receiver answered 2xx.</summary>
    public static WebhookSendResult Ok { get; } = new(true, null);

    /// <summary>It did not, and why.</summary>
    public static WebhookSendResult Failed(string error) => new(false, error);
}
