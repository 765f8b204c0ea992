using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Skybridge.Application.Connectors;
using Skybridge.Core.Manifests;

namespace Skybridge.Connectors.Http;

/// <summary>
/// Executes an action on an HTTP system of record. The convention: <c>POST {endpoint}/{action}</c> with the parameters
/// as the JSON body, <c>Idempotency-Key</c> on every attempt (draft-ietf-httpapi-idempotency-key-header), and either
/// the connector's credential from the secret store or, when none is stored, a token Skybridge mints for this one call
/// (audience-restricted, RFC 8707; short-lived; DPoP-bound, RFC 9449, with a fresh proof per attempt). Each attempt has a timeout; idempotent calls are retried with
/// exponential backoff and jitter on failures that are safe to repeat; a circuit breaker per connector stops hammering
/// a system that is down. Answers must be JSON and at most <see cref="HttpConnectorOptions.MaxResponseBytes"/>.
/// </summary>
internal sealed partial class HttpConnector : IConnector, IDisposable
{
    private const string Redacted = "[redacted]";

    private static readonly ResiliencePropertyKey<bool> IdempotentKey = new("skybridge.idempotent");
    private static readonly ResiliencePropertyKey<TimeSpan> TimeoutKey = new("skybridge.timeout");
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    private readonly HttpConnectorOptions _options;
    private readonly IConnectorTokens _tokens;
    private readonly IConnectorCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _client;
    private readonly ConcurrentDictionary<string, ResiliencePipeline<Answer>> _pipelines = new(StringComparer.Ordinal);

    public HttpConnector(HttpConnectorOptions options, IConnectorTokens tokens, IConnectorCredentials credentials, TimeProvider time, ILogger<HttpConnector> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _tokens = tokens;
        _credentials = credentials;
        _time = time;
        _logger = logger;
        _client = new HttpClient(new SocketsHttpHandler
        {
            // A redirect would carry the call somewhere the manifest does not name; it is an answer, not a hop to follow.
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            // Each attempt's deadline is Polly's (on the injected clock); the client's own would run on the real one.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var connector = call.Connector;
        if (connector.Type != ConnectorType.Http || connector.Endpoint is not { IsAbsoluteUri: true } endpoint || endpoint.Scheme is not ("http" or "https"))
        {
            return ConnectorResult.NotSent(ConnectorErrors.Misconfigured, $"Connector '{connector.Name}' is not an HTTP connector with an http(s) endpoint.");
        }

        var authentication = await AuthenticateAsync(call, cancellationToken).ConfigureAwait(false);
        if (authentication is null or { Problem: not null })
        {
            return ConnectorResult.NotSent(ConnectorErrors.CredentialUnavailable,
                $"No credential could be had for connector '{connector.Name}': neither a stored credential nor a token for '{call.Audience}'"
                + (authentication?.Problem is { } problem ? " (" + problem + ")." : "."));
        }

        var target = ActionUri(endpoint, call.Action);
        var body = Encoding.UTF8.GetBytes(call.Parameters.ValueKind == JsonValueKind.Undefined ? "{}" : call.Parameters.GetRawText());
        var state = new CallState(call, target, body, authentication);

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(IdempotentKey, call.Idempotent);
        context.Properties.Set(TimeoutKey, call.Timeout is { } t && t > TimeSpan.Zero ? t : _options.Timeout);
        ConnectorResult result;
        try
        {
            var outcome = await Pipeline(connector).ExecuteOutcomeAsync(static (ctx, s) => s.Connector.AttemptAsync(s.State, ctx.CancellationToken), context, (Connector: this, State: state)).ConfigureAwait(false);
            result = outcome.Exception switch
            {
                null => ToResult(outcome.Result!, state),
                TimeoutRejectedException => Failed(state, ConnectorErrors.Timeout,
                    $"No answer from '{connector.Name}' within {context.Properties.GetValue(TimeoutKey, _options.Timeout).TotalSeconds:0.###} s; the call may have executed.", null),
                BrokenCircuitException => Failed(state, ConnectorErrors.CircuitOpen, $"Calls to '{connector.Name}' are paused after repeated failures; nothing more was sent.", null),
                // The caller's cancellation, or a bug: not an answer from the system.
                var other => Rethrow(other),
            };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        Log.Finished(_logger, connector.Name, call.Action, call.CaseId, result.Outcome, result.ErrorCode, result.Attempts);
        return result;
    }

    public void Dispose() => _client.Dispose();

    private static ConnectorResult Rethrow(Exception exception)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
        return null!;
    }

    /// <summary>The request URI: the action's name as one path segment below the endpoint.</summary>
    internal static Uri ActionUri(Uri endpoint, string action)
    {
        var builder = new UriBuilder(endpoint);
        builder.Path = builder.Path.TrimEnd('/') + "/" + Uri.EscapeDataString(action);
        return builder.Uri;
    }

    private async Task<Authentication?> AuthenticateAsync(ConnectorCall call, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await _credentials.GetAsync(call.Connector.Name, cancellationToken).ConfigureAwait(false);
            if (credential is not null)
            {
                return credential.Kind switch
                {
                    CredentialKind.Bearer => new Authentication("Authorization", "Bearer " + credential.Value, [credential.Value]),
                    CredentialKind.Basic => BasicAuthentication(credential),
                    _ => new Authentication(credential.Header ?? ConnectorCredential.DefaultApiKeyHeader, credential.Value, [credential.Value]),
                };
            }

            var minted = await _tokens.GetTokenAsync(call.Audience, call.Scope, call, cancellationToken).ConfigureAwait(false);
            if (minted.Token is not { } token)
            {
                Log.NoToken(_logger, call.Connector.Name, minted.Problem ?? "");
                return new Authentication("", "", [], null, minted.Problem ?? "no token was minted");
            }

            // RFC 9449 section 7.1: a key-bound token goes with the DPoP scheme and a proof; a bearer one (RFC 6750) without.
            return token.ProofKey is { } key
                ? new Authentication("Authorization", "DPoP " + token.Value, [token.Value], key)
                : new Authentication("Authorization", "Bearer " + token.Value, [token.Value]);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The exception's type only: a message from a token service or a key store is not ours to vouch for.
            Log.NoCredential(_logger, call.Connector.Name, ex.GetType().Name);
            return null;
        }
    }

    private static Authentication BasicAuthentication(ConnectorCredential credential)
    {
        // RFC 7617 section 2: user-id ":" password, UTF-8, base64. Every form of the password is redacted from answers.
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes((credential.UserName ?? "") + ":" + credential.Value));
        return new Authentication("Authorization", "Basic " + encoded, [credential.Value, encoded]);
    }

    /// <summary>One pipeline, so one circuit, per system: the endpoint, whichever workflow's connector names it.</summary>
    private ResiliencePipeline<Answer> Pipeline(Connector connector) =>
        _pipelines.GetOrAdd(connector.Endpoint!.AbsoluteUri, _ => BuildPipeline(connector.Name));

    private ResiliencePipeline<Answer> BuildPipeline(string connector)
    {
        var builder = new ResiliencePipelineBuilder<Answer> { TimeProvider = _time };
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<Answer>
            {
                // Only an idempotent call is repeated, and only after a failure that may not have reached the system or
                // that the system calls temporary; a non-idempotent call gets exactly one attempt.
                ShouldHandle = static args => new ValueTask<bool>(args.Context.Properties.GetValue(IdempotentKey, false) && IsTransient(args.Outcome)),
                MaxRetryAttempts = _options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                OnRetry = args =>
                {
                    Log.Retrying(_logger, connector, args.AttemptNumber + 2, Describe(args.Outcome), args.RetryDelay);
                    return default;
                },
            });
        }

        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<Answer>
            {
                ShouldHandle = static args => new ValueTask<bool>(IsTransient(args.Outcome) || args.Outcome.Result is { Status: >= 500 }),
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakerDuration,
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = args => new ValueTask<TimeSpan>(args.Context.Properties.GetValue(TimeoutKey, _options.Timeout)),
            })
            .Build();
    }

    /// <summary>A failure a retry may cure: a timeout, no connection, a cut answer, or a gateway saying "not now" (RFC 9110 15.6.3-15.6.5).</summary>
    private static bool IsTransient(Outcome<Answer> outcome) =>
        outcome.Exception is TimeoutRejectedException ||
        outcome.Result is { Transport: HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.NameResolutionError } ||
        outcome.Result is { Status: 502 or 503 or 504 };

    private static string Describe(Outcome<Answer> outcome) => outcome.Exception is { } ex ? ex.GetType().Name
        : outcome.Result is { Transport: { } transport } ? transport.ToString()
        : "HTTP " + outcome.Result?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async ValueTask<Outcome<Answer>> AttemptAsync(CallState state, CancellationToken cancellationToken)
    {
        state.Attempts++;
        var call = state.Call;
        Log.Attempting(_logger, call.Connector.Name, call.Action, call.CaseId, state.Attempts);
        using var request = new HttpRequestMessage(HttpMethod.Post, state.Target) { Content = new ByteArrayContent(state.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Accept.Add(Json);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", call.IdempotencyKey);
        request.Headers.TryAddWithoutValidation("Skybridge-Case", call.CaseId);
        request.Headers.TryAddWithoutValidation(state.Authentication.Header, state.Authentication.Value);
        if (state.Authentication.ProofKey is { } proofKey)
        {
            // RFC 9449 section 4.1: a new proof for every request, so every retry gets its own jti and iat; the system
            // of record refuses a proof it has seen before (section 11.1).
            request.Headers.TryAddWithoutValidation("DPoP", proofKey.CreateProof(request.Method.Method, state.Target, state.Authentication.Secrets[0], _time.GetUtcNow()));
        }

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var (text, tooLarge) = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            var answer = new Answer(status, text, tooLarge, null);
            state.Record(answer);
            return Outcome.FromResult(answer);
        }
        catch (HttpRequestException ex)
        {
            var answer = new Answer(0, null, false, ex.HttpRequestError);
            state.Record(answer);
            return Outcome.FromResult(answer);
        }
        catch (OperationCanceledException ex)
        {
            // The attempt's deadline (or the caller) cut it short: it may have reached the system.
            state.Ambiguous = true;
            return Outcome.FromException<Answer>(ex);
        }
        catch (IOException)
        {
            // The answer was cut while its body was read.
            var answer = new Answer(0, null, false, HttpRequestError.ResponseEnded);
            state.Record(answer);
            return Outcome.FromResult(answer);
        }
    }

    /// <summary>Reads at most <see cref="HttpConnectorOptions.MaxResponseBytes"/>; a larger answer is not read further.</summary>
    private async Task<(string? Text, bool TooLarge)> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var limit = _options.MaxResponseBytes;
        if (response.Content.Headers.ContentLength is { } length && length > limit)
        {
            return (null, true);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Min(limit + 1, 64 * 1024)];
        using var collected = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            collected.Write(buffer, 0, read);
            if (collected.Length > limit)
            {
                return (null, true);
            }
        }

        return (collected.Length == 0 ? null : Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length), false);
    }

    private ConnectorResult ToResult(Answer answer, CallState state)
    {
        var name = state.Call.Connector.Name;
        if (answer.Transport is { } transport)
        {
            return Failed(state, ConnectorErrors.Unavailable, transport is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                ? $"'{name}' could not be reached ({transport})."
                : $"The connection to '{name}' broke before its answer was complete ({transport}).", null);
        }

        if (answer.TooLarge)
        {
            return Failed(state, ConnectorErrors.BadResponse, $"The answer of '{name}' is larger than {_options.MaxResponseBytes} bytes.", answer.Status);
        }

        var status = answer.Status;
        var text = Redact(answer.Text, state.Authentication);
        if (status is >= 200 and < 300)
        {
            if (text is null)
            {
                return Executed(state, status, null);
            }

            return TryParse(text) is { } json
                ? Executed(state, status, json)
                : Failed(state, ConnectorErrors.BadResponse, $"'{name}' answered HTTP {status} with something that is not JSON; the call may have executed.", status);
        }

        if (status is >= 400 and < 500)
        {
            var error = text is null ? null : TryParse(text);
            return new ConnectorResult
            {
                Outcome = ConnectorOutcome.Refused,
                // RFC 9110 15.5: a 4xx says the request was not acted on; every earlier attempt must have been harmless too.
                KnownNotExecuted = state.AllKnownNotExecuted,
                StatusCode = status,
                Body = error,
                ErrorCode = ConnectorErrors.Refused,
                Message = $"'{name}' refused the call (HTTP {status})" + (error is { } e && ErrorText(e) is { } detail ? ": " + detail : "."),
                Attempts = state.Attempts,
            };
        }

        return status switch
        {
            502 or 503 or 504 => Failed(state, ConnectorErrors.Unavailable, $"'{name}' is unavailable (HTTP {status}).", status),
            >= 500 => Failed(state, ConnectorErrors.ServerError, $"'{name}' failed (HTTP {status}); the call may have executed.", status),
            _ => Failed(state, ConnectorErrors.BadResponse, $"'{name}' answered HTTP {status}, which a connector does not follow.", status),
        };
    }

    private static ConnectorResult Executed(CallState state, int status, JsonElement? body) => new()
    {
        Outcome = ConnectorOutcome.Executed,
        KnownNotExecuted = false,
        StatusCode = status,
        Body = body,
        Reference = body is { ValueKind: JsonValueKind.Object } b ? ReferenceOf(b) : null,
        Attempts = state.Attempts,
    };

    private static ConnectorResult Failed(CallState state, string code, string message, int? status) => new()
    {
        Outcome = ConnectorOutcome.Failed,
        KnownNotExecuted = state.AllKnownNotExecuted,
        StatusCode = status,
        ErrorCode = code,
        Message = message,
        Attempts = state.Attempts,
    };

    /// <summary>The system's reference for what it did: the answer's <c>reference</c>, else its <c>id</c>.</summary>
    private static string? ReferenceOf(JsonElement body)
    {
        foreach (var name in (ReadOnlySpan<string>)["reference", "id"])
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            {
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            }
        }

        return null;
    }

    /// <summary>A short human text from an error body (RFC 9457 <c>detail</c>/<c>title</c>, OAuth <c>error_description</c>/<c>error</c>, or <c>message</c>).</summary>
    private static string? ErrorText(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in (ReadOnlySpan<string>)["detail", "title", "error_description", "error", "message"])
        {
            if (error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
            {
                return text.Length <= 300 ? text : text[..300] + "…";
            }
        }

        return null;
    }

    private static JsonElement? TryParse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A system that echoes its request (a debugging endpoint, an error page quoting headers) would hand the credential
    /// back into results, the ledger and logs; every form of it is cut out before the answer is looked at.
    /// </summary>
    private static string? Redact(string? text, Authentication authentication)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var secret in authentication.Secrets)
        {
            if (secret.Length > 0)
            {
                text = text.Replace(secret, Redacted, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>One attempt's answer: a status and body, or a transport failure.</summary>
    internal sealed record Answer(int Status, string? Text, bool TooLarge, HttpRequestError? Transport);

    /// <summary>How a call authenticates: a header, the secrets to redact, the DPoP key of a bound token, or why none.</summary>
    private sealed record Authentication(string Header, string Value, IReadOnlyList<string> Secrets, ConnectorProofKey? ProofKey = null, string? Problem = null)
    {
        public override string ToString() => $"Authentication({Header})";
    }

    private sealed class CallState(ConnectorCall call, Uri target, byte[] body, Authentication authentication)
    {
        public ConnectorCall Call { get; } = call;
        public Uri Target { get; } = target;
        public byte[] Body { get; } = body;
        public Authentication Authentication { get; } = authentication;
        public int Attempts { get; set; }
        public bool Ambiguous { get; set; }

        /// <summary>True while every attempt so far is known not to have reached or changed the system.</summary>
        public bool AllKnownNotExecuted => !Ambiguous;

        public void Record(Answer answer)
        {
            var knownNot = answer.Transport is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError || answer.Status is >= 400 and < 500;
            Ambiguous |= !knownNot;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3000, LogLevel.Debug, "Connector {Connector}: {Action} for case {CaseId}, attempt {Attempt}")]
        public static partial void Attempting(ILogger logger, string connector, string action, string caseId, int attempt);

        [LoggerMessage(3001, LogLevel.Warning, "Connector {Connector}: attempt failed ({Failure}); attempt {Next} in {Delay}")]
        public static partial void Retrying(ILogger logger, string connector, int next, string failure, TimeSpan delay);

        [LoggerMessage(3002, LogLevel.Information, "Connector {Connector}: {Action} for case {CaseId} {Outcome} {ErrorCode} after {Attempts} attempt(s)")]
        public static partial void Finished(ILogger logger, string connector, string action, string caseId, ConnectorOutcome outcome, string? errorCode, int attempts);

        [LoggerMessage(3003, LogLevel.Warning, "Connector {Connector}: no credential could be had ({Failure}); nothing was sent")]
        public static partial void NoCredential(ILogger logger, string connector, string failure);

        [LoggerMessage(3004, LogLevel.Warning, "Connector {Connector}: no token was minted ({Problem}); nothing was sent")]
        public static partial void NoToken(ILogger logger, string connector, string problem);
    }
}
