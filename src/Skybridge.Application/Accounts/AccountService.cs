using Microsoft.AspNetCore.Identity;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Accounts;

/// <summary>The outcome of a sign-in attempt. Failures say why without revealing whether the account exists.</summary>
public enum SignInOutcome { SignedIn, WrongCredentials, LockedOut }

/// <summary>
/// A sign-in result; <see cref="User"/> is set when signed in, <see cref="LockedUntil"/> when locked out, and
/// <see cref="Account"/> (the account's own name) whenever the name matched an account, so that callers log only names
/// that are accounts: people sometimes type their password into the name field.
/// </summary>
public sealed record SignInResult(SignInOutcome Outcome, StoredUser? User = null, DateTimeOffset? LockedUntil = null, string? Account = null);

/// <summary>The outcome of creating an account.</summary>
public enum CreateUserOutcome { Created, AlreadyExists, InvalidName, WeakPassword }

/// <summary>
/// Local accounts for the embedded default: passwords hashed with ASP.NET Core Identity's standard
/// <see cref="PasswordHasher{TUser}"/> (PBKDF2), lockout after repeated failures. Used by the server and the CLI.
/// </summary>
public sealed class AccountService
{
    /// <summary>Failed sign-ins in a row that lock an account.</summary>
    public const int MaxFailedSignIns = 5;

    /// <summary>How long a locked account stays locked.</summary>
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    /// <summary>The shortest password accepted.</summary>
    public const int MinimumPasswordLength = 12;

    private static readonly PasswordHasher<StoredUser> Hasher = new();

    private static readonly StoredUser Placeholder = new()
    {
        UserName = "-", DisplayName = "-", PasswordHash = "", FailedSignIns = 0, CreatedAt = DateTimeOffset.UnixEpoch,
    };

    // Verifying against a real hash when the account does not exist keeps the timing of
    // "no such user" and "wrong password" alike, so sign-in cannot be used to list accounts.
    private static readonly string DummyHash = Hasher.HashPassword(Placeholder, "not-a-real-password-0");

    private readonly IPeopleStore _store;
    private readonly TimeProvider _time;
    private readonly ILedger _ledger;

    public AccountService(IPeopleStore store, TimeProvider time, ILedger ledger)
    {
        _store = store;
        _time = time;
        _ledger = ledger;
    }

    private Task RecordAsync(string type, string actor, string subject, string outcome, CancellationToken cancellationToken, string? workflowId = null, string? role = null) =>
        _ledger.AppendAsync(new LedgerEntry
        {
            Type = type,
            Actors = [LedgerActor.Human(actor)],
            WorkflowId = workflowId is RoleGrant.AllWorkflows ? null : workflowId,
            Resource = new LedgerResource("account", subject, role is null ? null : ["roles"]),
            Outcome = outcome,
            Content = role is null ? null : new System.Text.Json.Nodes.JsonObject { ["role"] = role, ["scope"] = workflowId },
        }, cancellationToken);

    /// <summary>Grants a role and records who granted it. False when it already existed or the account is unknown.</summary>
    public async Task<bool> GrantRoleAsync(string actor, string userName, string workflowId, WorkflowRole role, CancellationToken cancellationToken)
    {
        var added = await _store.GrantRoleAsync(userName, workflowId, role.ToName(), cancellationToken).ConfigureAwait(false);
        if (added)
        {
            await RecordAsync(LedgerEventTypes.RoleGranted, actor, userName, "granted", cancellationToken, workflowId, role.ToName()).ConfigureAwait(false);
        }

        return added;
    }

    /// <summary>Revokes a role and records who revoked it. False when it did not exist.</summary>
    public async Task<bool> RevokeRoleAsync(string actor, string userName, string workflowId, WorkflowRole role, CancellationToken cancellationToken)
    {
        var removed = await _store.RevokeRoleAsync(userName, workflowId, role.ToName(), cancellationToken).ConfigureAwait(false);
        if (removed)
        {
            await RecordAsync(LedgerEventTypes.RoleRevoked, actor, userName, "revoked", cancellationToken, workflowId, role.ToName()).ConfigureAwait(false);
        }

        return removed;
    }

    /// <summary>
    /// Applies the roles a single sign-on group mapping gives a person now (<paramref name="wanted"/>); each grant and
    /// revocation is recorded with <paramref name="actor"/>. Grants made by hand are left alone.
    /// </summary>
    public async Task SyncMappedRolesAsync(string actor, string userName, IReadOnlyCollection<(WorkflowRole Role, string WorkflowId)> wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var changes = await _store.SyncMappedRolesAsync(userName, [.. wanted.Select(w => (w.WorkflowId, w.Role.ToName()))], cancellationToken).ConfigureAwait(false);
        foreach (var (workflowId, role) in changes.Granted)
        {
            await RecordAsync(LedgerEventTypes.RoleGranted, actor, userName, "granted", cancellationToken, workflowId, role).ConfigureAwait(false);
        }

        foreach (var (workflowId, role) in changes.Revoked)
        {
            await RecordAsync(LedgerEventTypes.RoleRevoked, actor, userName, "revoked", cancellationToken, workflowId, role).ConfigureAwait(false);
        }
    }

    /// <summary>True when a user name is acceptable: 2-64 characters of letters, digits, '.', '-', '_' and '@'.</summary>
    public static bool IsValidUserName(string? userName) =>
        userName is { Length: >= 2 and <= 64 } && userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@');

    /// <summary>Names beginning with this belong to people signed in through the external identity provider.</summary>
    public const string ExternalPrefix = "sso.";

    /// <summary>Creates an account with a hashed password.</summary>
    public async Task<CreateUserOutcome> CreateUserAsync(string actor, string userName, string displayName, string password, CancellationToken cancellationToken)
    {
        if (!IsValidUserName(userName) || userName.StartsWith(ExternalPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return CreateUserOutcome.InvalidName;
        }

        if (password.Length < MinimumPasswordLength)
        {
            return CreateUserOutcome.WeakPassword;
        }

        var user = new NewUser
        {
            UserName = userName,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? userName : displayName,
            PasswordHash = Hasher.HashPassword(Placeholder, password),
            CreatedAt = _time.GetUtcNow(),
        };
        if (!await _store.CreateUserAsync(user, cancellationToken).ConfigureAwait(false))
        {
            return CreateUserOutcome.AlreadyExists;
        }

        await RecordAsync(LedgerEventTypes.AccountCreated, actor, userName, "created", cancellationToken).ConfigureAwait(false);
        return CreateUserOutcome.Created;
    }

    /// <summary>
    /// Signs in a person the external identity provider vouched for: makes their <c>sso.</c> account on first sign-in
    /// (with a random password nobody knows, so it cannot be used with the password form) and records the sign-in.
    /// </summary>
    public async Task<StoredUser> SignInExternalAsync(string userName, string displayName, string issuer, CancellationToken cancellationToken)
    {
        if (!IsValidUserName(userName) || !userName.StartsWith(ExternalPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("External accounts are named sso.NAME.", nameof(userName));
        }

        var user = await _store.GetUserAsync(userName, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            var created = new NewUser
            {
                UserName = userName,
                DisplayName = displayName,
                PasswordHash = Hasher.HashPassword(Placeholder, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))),
                CreatedAt = _time.GetUtcNow(),
            };
            await _store.CreateUserAsync(created, cancellationToken).ConfigureAwait(false);
            await RecordAsync(LedgerEventTypes.AccountCreated, "oidc:" + issuer, userName, "created", cancellationToken).ConfigureAwait(false);
            user = await _store.GetUserAsync(userName, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The account just made is gone.");
        }

        await _store.RecordSignInSuccessAsync(userName, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await RecordAsync(LedgerEventTypes.SignedIn, userName, userName, "signed_in_oidc", cancellationToken).ConfigureAwait(false);
        return user;
    }

    /// <summary>Checks a password, counting failures and honouring lockout.</summary>
    public async Task<SignInResult> SignInAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var user = IsValidUserName(userName) ? await _store.GetUserAsync(userName, cancellationToken).ConfigureAwait(false) : null;
        if (user is null)
        {
            Hasher.VerifyHashedPassword(Placeholder, DummyHash, password);
            // The attempted name is kept as a digest only: people sometimes type their password into the name field.
            await RecordAsync(LedgerEventTypes.SignInRefused, "unknown:" + LedgerEntry.Digest(userName)[..16], "unknown", "wrong_credentials", cancellationToken).ConfigureAwait(false);
            return new SignInResult(SignInOutcome.WrongCredentials);
        }

        if (user.LockedUntil is { } lockedUntil && lockedUntil > now)
        {
            await RecordAsync(LedgerEventTypes.SignInRefused, user.UserName, user.UserName, "locked", cancellationToken).ConfigureAwait(false);
            return new SignInResult(SignInOutcome.LockedOut, LockedUntil: lockedUntil, Account: user.UserName);
        }

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var updated = await _store.RecordSignInFailureAsync(user.UserName, now, MaxFailedSignIns, LockoutDuration, cancellationToken).ConfigureAwait(false);
            var locked = updated?.LockedUntil is { } lockTime && lockTime > now;
            await RecordAsync(LedgerEventTypes.SignInRefused, user.UserName, user.UserName, locked ? "locked" : "wrong_credentials", cancellationToken).ConfigureAwait(false);
            return updated?.LockedUntil is { } until && until > now
                ? new SignInResult(SignInOutcome.LockedOut, LockedUntil: until, Account: user.UserName)
                : new SignInResult(SignInOutcome.WrongCredentials, Account: user.UserName);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await _store.SetPasswordHashAsync(user.UserName, Hasher.HashPassword(user, password), cancellationToken).ConfigureAwait(false);
        }

        await _store.RecordSignInSuccessAsync(user.UserName, now, cancellationToken).ConfigureAwait(false);
        await RecordAsync(LedgerEventTypes.SignedIn, user.UserName, user.UserName, "signed_in", cancellationToken).ConfigureAwait(false);
        return new SignInResult(SignInOutcome.SignedIn, user);
    }

    /// <summary>The grants of a user, parsed; unknown role names in the store are ignored rather than widening access.</summary>
    public async Task<IReadOnlyList<(WorkflowRole Role, string WorkflowId)>> GetGrantsAsync(string userName, CancellationToken cancellationToken)
    {
        var grants = await _store.ListRoleGrantsForUserAsync(userName, cancellationToken).ConfigureAwait(false);
        return RolesOf(grants);
    }

    /// <summary>Stored grants as the access table reads them; a role name this version does not know counts for nothing.</summary>
    public static IReadOnlyList<(WorkflowRole Role, string WorkflowId)> RolesOf(IEnumerable<RoleGrant> grants)
    {
        ArgumentNullException.ThrowIfNull(grants);
        var result = new List<(WorkflowRole, string)>();
        foreach (var grant in grants)
        {
            if (WorkflowRoles.TryParse(grant.Role, out var role))
            {
                result.Add((role, grant.WorkflowId));
            }
        }

        return result;
    }
}
