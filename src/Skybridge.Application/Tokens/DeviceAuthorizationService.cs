using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Access;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application.Tokens;
using Skybridge.Application.Accounts;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens;

/// <summary>The answer to a device authorization request (RFC 8628 section 3.2).</summary>
public sealed record DeviceAuthorizationStart(string DeviceCode, string UserCode, string VerificationUri, string VerificationUriComplete, int ExpiresIn, int Interval);

/// <summary>What a person's decision on a user code did.</summary>
public enum DeviceApproval
{
    /// <summary>Approved: the CLI gets its token at its next poll.</summary>
    Approved,

    /// <summary>Denied: the CLI gets <c>access_denied</c>.</summary>
    Denied,

    /// <summary>No such code, or it expired, or it was already decided.</summary>
    Unknown,

    /// <summary>Too many wrong codes from this person: wait.</summary>
    Throttled,

    /// <summary>The requested scope is more than this person may hand out.</summary>
    ScopeTooWide,
}

/// <summary>Where a device code stands when the CLI polls.</summary>
public enum DeviceRedeemStatus
{
    /// <summary>Approved, handed out now (once).</summary>
    Approved,

    /// <summary>Nobody decided yet.</summary>
    Pending,

    /// <summary>Polled faster than the interval.</summary>
    SlowDown,

    /// <summary>The person said no.</summary>
    Denied,

    /// <summary>The code expired.</summary>
    Expired,

    /// <summary>Unknown, for another client, or already used.</summary>
    Invalid,
}

/// <summary>A poll's outcome; <see cref="UserName"/> and <see cref="Scope"/> are set when approved.</summary>
public sealed record DeviceRedeemResult(DeviceRedeemStatus Status, string? UserName, string? Scope);

/// <summary>
/// The device authorization grant (RFC 8628) that signs the CLI in: the CLI shows a short user code, a person enters
/// it in the console (signed in, with a local account or single sign-on) and approves, and the CLI's next poll gets
/// a token for that person, bound to the CLI's DPoP key. Codes are kept as hashes; an approval is handed out once.
/// </summary>
public sealed class DeviceAuthorizationService
{
    /// <summary>The CLI's client id (a public client: it has no secret to keep).</summary>
    public const string CliClientId = "skybridge-cli";

    // RFC 8628 section 6.1: upper-case consonants only, no look-alikes, 20^8 (2.6e10) codes.
    private const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const int IntervalSeconds = 5;
    private const int MaxWrongCodes = 5;

    private readonly ISkybridgeStore _store;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Since)> _wrongCodes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The service of one node.</summary>
    public DeviceAuthorizationService(ISkybridgeStore store, ILedger ledger, TimeProvider time)
    {
        _store = store;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>Starts an authorization; null with the error when the request is not acceptable.</summary>
    public async Task<(DeviceAuthorizationStart? Start, OAuthError? Error)> StartAsync(string? clientId, string? scope, string issuer, CancellationToken cancellationToken)
    {
        if (clientId != CliClientId)
        {
            return (null, new OAuthError(OAuthError.InvalidClient, "Only the Skybridge CLI (client_id skybridge-cli) uses the device grant."));
        }

        if (!ScopeSet.TryParse(scope, out var requested))
        {
            return (null, new OAuthError(OAuthError.InvalidScope, "The scope parameter is malformed."));
        }

        var now = _time.GetUtcNow();
        while (true)
        {
            var deviceCode = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
            var userCode = new string([.. Enumerable.Range(0, 8).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)])]);
            var stored = await _store.CreateDeviceAuthorizationAsync(new DeviceAuthorization
            {
                DeviceCodeHash = TextDigest.Sha256(deviceCode), UserCodeHash = TextDigest.Sha256(userCode), ClientId = CliClientId, Scope = requested.ToString(),
                Status = DeviceAuthorizationStatuses.Pending, CreatedAt = now, ExpiresAt = now + Lifetime, IntervalSeconds = IntervalSeconds,
            }, cancellationToken).ConfigureAwait(false);
            if (stored)
            {
                var display = userCode[..4] + "-" + userCode[4..];
                return (new DeviceAuthorizationStart(deviceCode, display, issuer + "/device", issuer + "/device?user_code=" + display, (int)Lifetime.TotalSeconds, IntervalSeconds), null);
            }
        }
    }

    /// <summary>What the person is asked to approve: the client and the scope, or null for an unknown or spent code.</summary>
    public async Task<DeviceAuthorization?> FindAsync(string userCode, CancellationToken cancellationToken)
    {
        var found = await _store.FindDeviceAuthorizationByUserCodeAsync(TextDigest.Sha256(Normalize(userCode)), cancellationToken).ConfigureAwait(false);
        return found is not null && found.Status == DeviceAuthorizationStatuses.Pending && found.ExpiresAt > _time.GetUtcNow() ? found : null;
    }

    /// <summary>A signed-in person approves or denies the code the CLI shows. Five wrong codes lock the person out for 15 minutes.</summary>
    public async Task<DeviceApproval> ApproveAsync(string userCode, string userName, bool approve, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_wrongCodes.TryGetValue(userName, out var wrong) && wrong.Count >= MaxWrongCodes && now - wrong.Since < TimeSpan.FromMinutes(15))
        {
            return DeviceApproval.Throttled;
        }

        var found = await FindAsync(userCode, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            _wrongCodes.AddOrUpdate(userName, _ => (1, now), (_, w) => now - w.Since > TimeSpan.FromMinutes(15) ? (1, now) : (w.Count + 1, w.Since));
            return DeviceApproval.Unknown;
        }

        _wrongCodes.TryRemove(userName, out _);
        if (approve && ScopeSet.TryParse(found.Scope, out var requested) && !requested.IsSubsetOf(await PersonScopesAsync(userName, cancellationToken).ConfigureAwait(false)))
        {
            return DeviceApproval.ScopeTooWide;
        }

        if (!await _store.DecideDeviceAuthorizationAsync(found.UserCodeHash, userName, approve, now, cancellationToken).ConfigureAwait(false))
        {
            return DeviceApproval.Unknown;
        }

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = approve ? LedgerEventTypes.DeviceApproved : LedgerEventTypes.DeviceDenied,
            Actors = [LedgerActor.Human(userName)],
            Resource = new LedgerResource("client", found.ClientId),
            Outcome = approve ? "approved" : "denied",
            Content = new JsonObject { ["scope"] = found.Scope },
        }, cancellationToken).ConfigureAwait(false);
        return approve ? DeviceApproval.Approved : DeviceApproval.Denied;
    }

    /// <summary>The CLI polls with its device code.</summary>
    public async Task<DeviceRedeemResult> RedeemAsync(string deviceCode, string clientId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var found = await _store.PollDeviceAuthorizationAsync(TextDigest.Sha256(deviceCode), now, cancellationToken).ConfigureAwait(false);
        if (found is null || found.ClientId != clientId)
        {
            return new DeviceRedeemResult(DeviceRedeemStatus.Invalid, null, null);
        }

        if (found.ExpiresAt <= now && found.Status != DeviceAuthorizationStatuses.Consumed)
        {
            return new DeviceRedeemResult(DeviceRedeemStatus.Expired, null, null);
        }

        switch (found.Status)
        {
            case DeviceAuthorizationStatuses.Approved:
                return new DeviceRedeemResult(DeviceRedeemStatus.Approved, found.UserName, found.Scope);
            case DeviceAuthorizationStatuses.Denied:
                return new DeviceRedeemResult(DeviceRedeemStatus.Denied, null, null);
            case DeviceAuthorizationStatuses.Pending:
                var tooSoon = found.LastPollAt is { } last && now - last < TimeSpan.FromSeconds(found.IntervalSeconds);
                return new DeviceRedeemResult(tooSoon ? DeviceRedeemStatus.SlowDown : DeviceRedeemStatus.Pending, null, null);
            default:
                return new DeviceRedeemResult(DeviceRedeemStatus.Invalid, null, null);
        }
    }

    /// <summary>
    /// What a person's token may carry: the scope of every permission their roles give them (the union over their
    /// grants, from the access table). An auditor's token never holds <c>cases:write</c>; a token asked for with a
    /// narrower scope keeps it; the roles still decide each request.
    /// </summary>
    public async Task<ScopeSet> PersonScopesAsync(string userName, CancellationToken cancellationToken)
    {
        var grants = await _store.ListRoleGrantsForUserAsync(userName, cancellationToken).ConfigureAwait(false);
        return AccessRules.ScopesFor(AccountService.RolesOf(grants));
    }

    private static string Normalize(string userCode) => new([.. (userCode ?? "").ToUpperInvariant().Where(char.IsAsciiLetter)]);

}
