using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skybridge.Client;

/// <summary>
/// What became of a proposed action: <c>executed</c> (the system's answer in <see cref="Detail"/>),
/// <c>pending_approval</c> (wait with <see cref="SkybridgeActions.WaitAsync"/>), <c>recorded</c> (the workflow only
/// drafts), <c>denied</c> (the policy's explanation in <see cref="Detail"/>), <c>failed</c> or <c>rejected</c>.
/// </summary>
/// <param name="ActionId">The action's id.</param>
/// <param name="Status">Its status.</param>
/// <param name="Detail">The explanation, or the system of record's answer.</param>
/// <param name="ApprovalId">The approval it waits for, or null.</param>
/// <param name="CallDigest">The digest of the exact call an approver is shown.</param>
public sealed record SkybridgeActionResult(string ActionId, string Status, JsonObject Detail, string? ApprovalId, string CallDigest)
{
    /// <summary>True while people or a system still have to act on it.</summary>
    public bool IsOpen => Status is "pending_approval" or "approved" or "executing" or "held";
}

/// <summary>A proposal Skybridge refused outright (nothing stored): an unknown action, parameters off the schema, a reused key.</summary>
public sealed class SkybridgeActionException : Exception
{
    /// <summary>A refusal with its stable code.</summary>
    public SkybridgeActionException(string code, string message, JsonArray? problems = null)
        : base(message)
    {
        Code = code;
        Problems = problems;
    }

    /// <summary>The stable code (<c>invalid_parameters</c>, <c>unknown_action</c>, <c>idempotency_key_reused</c>...).</summary>
    public string Code { get; }

    /// <summary>For <c>invalid_parameters</c>: every problem with its parameter and code.</summary>
    public JsonArray? Problems { get; }
}

/// <summary>
/// Governed actions for an agent: propose an action for a case and wait for its outcome. Uses an <see cref="HttpClient"/>
/// made by <see cref="SkybridgeAgent.CreateHttpClient"/>, so tokens and DPoP proofs are handled there.
/// </summary>
public sealed class SkybridgeActions
{
    private readonly HttpClient _http;

    /// <summary>Actions through <paramref name="http"/> (an agent client with <c>actions:propose</c>).</summary>
    public SkybridgeActions(HttpClient http) => _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>
    /// Proposes <paramref name="action"/> for <paramref name="caseId"/>. Send the same <paramref name="idempotencyKey"/>
    /// when retrying: the answer is the first one's, and nothing runs twice.
    /// </summary>
    /// <exception cref="SkybridgeActionException">Skybridge refused the proposal outright.</exception>
    public async Task<SkybridgeActionResult> ProposeAsync(string caseId, string action, JsonObject parameters, string idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(caseId);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        using var response = await _http.PostAsJsonAsync(new Uri($"/api/cases/{Uri.EscapeDataString(caseId)}/actions", UriKind.Relative),
            new JsonObject { ["action"] = action, ["parameters"] = parameters?.DeepClone(), ["idempotencyKey"] = idempotencyKey }, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits (long-poll, at most <paramref name="timeout"/>) until the action is no longer open, and returns it.</summary>
    public async Task<SkybridgeActionResult> WaitAsync(string actionId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actionId);
        var until = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var wait = (int)Math.Clamp((until - DateTimeOffset.UtcNow).TotalSeconds, 0, 30);
            using var response = await _http.GetAsync(new Uri($"/api/actions/{Uri.EscapeDataString(actionId)}?wait={wait}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            var result = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (!result.IsOpen || DateTimeOffset.UtcNow >= until)
            {
                return result;
            }
        }
    }

    private static async Task<SkybridgeActionResult> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken).ConfigureAwait(false) ?? [];
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted)
        {
            return new SkybridgeActionResult(
                (string?)body["actionId"] ?? throw new InvalidOperationException("The answer names no action."),
                (string?)body["status"] ?? "",
                body["detail"] as JsonObject ?? [],
                (string?)body["approvalId"],
                (string?)body["callDigest"] ?? "");
        }

        throw new SkybridgeActionException((string?)body["code"] ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
            (string?)body["detail"] ?? (string?)body["title"] ?? response.ReasonPhrase ?? "refused", body["problems"] as JsonArray);
    }
}
