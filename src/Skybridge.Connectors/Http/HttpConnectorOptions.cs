namespace Skybridge.Connectors.Http;

/// <summary>How the HTTP connector calls systems of record. Validated when the connector is built.</summary>
public sealed record HttpConnectorOptions
{
    /// <summary>How long one attempt may take (a call can override it); default 10 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt, for idempotent calls only; default 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's delay; each next one doubles, with jitter; default 200 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts; default 5 seconds.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest answer read; a larger one is <c>connector_bad_response</c>. Default 1 MiB.</summary>
    public int MaxResponseBytes { get; init; } = 1024 * 1024;

    /// <summary>The share of failed attempts (5xx, timeouts, unreachable) that opens a connector's circuit; default 0.5.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Attempts within <see cref="BreakerSamplingDuration"/> before the ratio counts; default 10.</summary>
    public int BreakerMinimumThroughput { get; init; } = 10;

    /// <summary>The window the failure ratio is measured over; default 30 seconds.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls (nothing is sent) before one is tried again; default 15 seconds.</summary>
    public TimeSpan BreakerDuration { get; init; } = TimeSpan.FromSeconds(15);

    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero || MaxRetries < 0 || RetryDelay < TimeSpan.Zero || MaxRetryDelay < RetryDelay || MaxResponseBytes <= 0 ||
            BreakerFailureRatio is <= 0 or > 1 || BreakerMinimumThroughput < 2 || BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) ||
            BreakerDuration < TimeSpan.FromMilliseconds(500))
        {
            throw new InvalidOperationException(
                "HTTP connector options are out of range: the timeout must be positive, retries 0 or more, delays not negative with the maximum " +
                "at least the first, the response limit positive, the breaker ratio in (0, 1], its minimum throughput 2 or more and its durations 0.5 s or more.");
        }
    }
}
