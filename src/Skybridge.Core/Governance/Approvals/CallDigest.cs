using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Core.Ledger;
using Skybridge.Core.Text;

namespace Skybridge.Core.Governance.Approvals;

/// <summary>
/// One proposed action call, exactly as it would execute: everything an approval is bound to. Two calls that differ
/// in any of these fields have different <see cref="CallDigest"/>s, so an approval can never be routed to, or
/// replayed on, another call.
/// </summary>
public sealed record ActionCall
{
    /// <summary>The workflow.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The action's name.</summary>
    public required string Action { get; init; }

    /// <summary>The parameters as proposed (a JSON object). Never mutated; the digest only reads it.</summary>
    public required JsonObject Parameters { get; init; }

    /// <summary>The case the call is for.</summary>
    public required string CaseId { get; init; }

    /// <summary>The requesting agent's client id.</summary>
    public required string AgentClientId { get; init; }

    /// <summary>The JWK thumbprint (RFC 7638) of the key the agent's token is bound to (its DPoP <c>jkt</c>).</summary>
    public required string AgentKeyThumbprint { get; init; }

    /// <summary>The policy that decided the call: the content hash of the manifest version.</summary>
    public required string PolicyHash { get; init; }

    /// <summary>The manifest version number.</summary>
    public required int ManifestVersion { get; init; }

    /// <summary>The same call with other parameters (an approval with edits): a new call, decided by policy again.</summary>
    public ActionCall WithParameters(JsonObject parameters) => this with { Parameters = parameters };
}

/// <summary>
/// The digest that binds an approval to one exact call: lower-case hex SHA-256 over the RFC 8785 canonical JSON of
/// <c>{"v":1, "workflow", "action", "parameters", "case", "agent", "agent_jkt", "policy", "manifest_version"}</c>.
/// Canonical JSON makes member order and number spelling irrelevant (<c>{"a":1,"b":2.0}</c> and
/// <c>{"b":2,"a":1}</c> digest alike) while any change of value changes it.
/// </summary>
public static class CallDigest
{
    /// <summary>Version of the canonical form; a change of fields is a new version, never a silent change.</summary>
    public const int FormatVersion = 1;

    /// <summary>The canonical JSON text the digest is computed over (shown to auditors who recompute it).</summary>
    public static string CanonicalForm(ActionCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CanonicalForm(call, CanonicalJson.ToCanonicalString(call.Parameters));
    }

    /// <summary>
    /// <see cref="CanonicalForm(ActionCall)"/> with the parameters' canonical JSON given: the action path computes it
    /// once for the stored action and the proposal's event, and the digest reuses it.
    /// </summary>
    /// <param name="call">The call.</param>
    /// <param name="canonicalParameters"><see cref="CanonicalJson.ToCanonicalString"/> of <c>call.Parameters</c>.</param>
    public static string CanonicalForm(ActionCall call, string canonicalParameters)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(canonicalParameters);
        // Written in RFC 8785 form directly (members in UTF-16 order: action, agent, agent_jkt, case, manifest_version,
        // parameters, policy, v, workflow) rather than through a JSON tree with a copy of the parameters; tests check it
        // equals the general canonicaliser's output.
        return Write(new StringBuilder(512 + canonicalParameters.Length), call, canonicalParameters).ToString();
    }

    private static StringBuilder Write(StringBuilder json, ActionCall call, string canonicalParameters)
    {
        json.Append("{\"action\":");
        CanonicalJson.WriteString(json, call.Action);
        json.Append(",\"agent\":");
        CanonicalJson.WriteString(json, call.AgentClientId);
        json.Append(",\"agent_jkt\":");
        CanonicalJson.WriteString(json, call.AgentKeyThumbprint);
        json.Append(",\"case\":");
        CanonicalJson.WriteString(json, call.CaseId);
        json.Append(",\"manifest_version\":").Append(call.ManifestVersion.ToString(CultureInfo.InvariantCulture));
        json.Append(",\"parameters\":").Append(canonicalParameters);
        json.Append(",\"policy\":");
        CanonicalJson.WriteString(json, call.PolicyHash);
        json.Append(",\"v\":").Append(FormatVersion.ToString(CultureInfo.InvariantCulture));
        json.Append(",\"workflow\":");
        CanonicalJson.WriteString(json, call.WorkflowId);
        return json.Append('}');
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="CanonicalForm(ActionCall)"/>'s UTF-8 bytes.</summary>
    public static string Compute(ActionCall call) => TextDigest.Sha256(CanonicalForm(call));

    /// <summary><see cref="Compute(ActionCall)"/> with the parameters' canonical JSON given (see <see cref="CanonicalForm(ActionCall, string)"/>).</summary>
    public static string Compute(ActionCall call, string canonicalParameters)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(canonicalParameters);
        // Every proposal computes one: the form is written in this thread's builder and hashed from a pooled buffer,
        // with no string of it (the same characters as CanonicalForm, so the same digest).
        var json = ThreadBuilder.Take(1024);
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(512 + canonicalParameters.Length);
        try
        {
            Write(json, call, canonicalParameters);
            if (json.Length > buffer.Length)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(buffer);
                buffer = System.Buffers.ArrayPool<char>.Shared.Rent(json.Length);
            }

            json.CopyTo(0, buffer.AsSpan(), json.Length);
            return TextDigest.Sha256(buffer.AsSpan(0, json.Length));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
            ThreadBuilder.Keep(json);
        }
    }

    /// <summary>Compares two digests in constant time (they may come from a person's request).</summary>
    public static bool AreEqual(string? a, string? b) =>
        a is not null && b is not null && a.Length == b.Length
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a.ToLower(CultureInfo.InvariantCulture)), System.Text.Encoding.ASCII.GetBytes(b.ToLower(CultureInfo.InvariantCulture)));
}
