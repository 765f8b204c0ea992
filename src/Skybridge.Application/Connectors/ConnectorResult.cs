using System.Text.Json;

namespace Skybridge.Application.Connectors;

/// <summary>What became of a call, as far as Skybridge can know.</summary>
public enum ConnectorOutcome
{
    /// <summary>The system answered 2xx: it executed the call.</summary>
    Executed,

    /// <summary>The system answered 4xx: it refused the call and did not execute it.</summary>
    Refused,

    /// <summary>No usable answer (timeout, 5xx, garbage, unreachable, no credential); see <see cref="ConnectorResult.KnownNotExecuted"/>.</summary>
    Failed,
}

/// <summary>
/// The result of a call: expected failures are results with a stable <see cref="ErrorCode"/>, never exceptions. Nothing
/// here ever contains the credential or token that authenticated the call (a system that echoes it back is redacted).
/// </summary>
public sealed record ConnectorResult
{
    /// <summary>Executed, refused or failed.</summary>
    public required ConnectorOutcome Outcome { get; init; }

    /// <summary>
    /// True when the call is known NOT to have executed (nothing was sent, the connection was refused, or the system
    /// refused it with 4xx): running it again cannot do it twice. False means executed or unknown.
    /// </summary>
    public required bool KnownNotExecuted { get; init; }

    /// <summary>The HTTP status of the last answer, or null when there was none.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The system's JSON answer (executed) or its error (refused), or null.</summary>
    public JsonElement? Body { get; init; }

    /// <summary>The system's own reference for what it did (the answer's <c>reference</c> or <c>id</c>), or null.</summary>
    public string? Reference { get; init; }

    /// <summary>A stable code from <see cref="ConnectorErrors"/> when not executed, else null.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>What happened, for people; never a credential.</summary>
    public string? Message { get; init; }

    /// <summary>How many times the call was sent (0 when nothing was sent).</summary>
    public int Attempts { get; init; }

    /// <summary>A failure before anything was sent.</summary>
    public static ConnectorResult NotSent(string errorCode, string message) =>
        new() { Outcome = ConnectorOutcome.Failed, KnownNotExecuted = true, ErrorCode = errorCode, Message = message };
}

/// <summary>The stable error codes of <see cref="ConnectorResult.ErrorCode"/>.</summary>
public static class ConnectorErrors
{
    /// <summary>The system refused the call (4xx); its error is in the body.</summary>
    public const string Refused = "connector_refused";

    /// <summary>No answer within the timeout; the call may have executed.</summary>
    public const string Timeout = "connector_timeout";

    /// <summary>The system could not be reached or said it is unavailable (connection refused or reset, 502, 503, 504).</summary>
    public const string Unavailable = "connector_unavailable";

    /// <summary>The system failed (a 5xx other than 502, 503, 504); the call may have executed.</summary>
    public const string ServerError = "connector_server_error";

    /// <summary>The answer is not JSON, is larger than allowed, or is a redirect; the call may have executed.</summary>
    public const string BadResponse = "connector_bad_response";

    /// <summary>Too many recent failures: calls to this connector are paused for a while and nothing was sent.</summary>
    public const string CircuitOpen = "connector_circuit_open";

    /// <summary>Neither a token nor a stored credential could be had for the call; nothing was sent.</summary>
    public const string CredentialUnavailable = "connector_credential_unavailable";

    /// <summary>The manifest's connector cannot be used as declared (for example an HTTP connector without an endpoint).</summary>
    public const string Misconfigured = "connector_misconfigured";

    /// <summary>No connector of this type exists in this version of Skybridge (MCP connectors come later).</summary>
    public const string TypeNotAvailable = "connector_type_not_available";
}
