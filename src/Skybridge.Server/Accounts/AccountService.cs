using Microsoft.AspNetCore.Identity;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Accounts;

/// <summary>The outcome of a sign-in attempt. Failures say why without revealing whether the account exists.</summary>
public enum SignInOutcome { SignedIn, WrongCredentials, LockedOut }

/// <summary>A sign-in result; <see cref="User"/> is set when signed in, <see cref="LockedUntil"/> when locked out.</summary>
public sealed record SignInResult(SignInOutcome Outcome, StoredUser? User = null, DateTimeOffset? LockedUntil = null);

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

    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;

    public AccountService(ISkybridgeStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>True when a user name is acceptable: 2-64 characters of letters, digits, '.', '-', '_' and '@'.</summary>
    public static bool IsValidUserName(string? userName) =>
        userName is { Length: >= 2 and <= 64 } && userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@');

    /// <summary>Creates an account with a hashed password.</summary>
    public async Task<CreateUserOutcome> CreateUserAsync(string userName, string displayName, string password, CancellationToken cancellationToken)
    {
        if (!IsValidUserName(userName))
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
        return await _store.CreateUserAsync(user, cancellationToken).ConfigureAwait(false)
            ? CreateUserOutcome.Created
            : CreateUserOutcome.AlreadyExists;
    }

    /// <summary>Checks a password, counting failures and honouring lockout.</summary>
    public async Task<SignInResult> SignInAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var user = IsValidUserName(userName) ? await _store.GetUserAsync(userName, cancellationToken).ConfigureAwait(false) : null;
        if (user is null)
        {
            Hasher.VerifyHashedPassword(Placeholder, DummyHash, password);
            return new SignInResult(SignInOutcome.WrongCredentials);
        }

        if (user.LockedUntil is { } lockedUntil && lockedUntil > now)
        {
            return new SignInResult(SignInOutcome.LockedOut, LockedUntil: lockedUntil);
        }

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var updated = await _store.RecordSignInFailureAsync(user.UserName, now, MaxFailedSignIns, LockoutDuration, cancellationToken).ConfigureAwait(false);
            return updated?.LockedUntil is { } until && until > now
                ? new SignInResult(SignInOutcome.LockedOut, LockedUntil: until)
                : new SignInResult(SignInOutcome.WrongCredentials);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await _store.SetPasswordHashAsync(user.UserName, Hasher.HashPassword(user, password), cancellationToken).ConfigureAwait(false);
        }

        await _store.RecordSignInSuccessAsync(user.UserName, now, cancellationToken).ConfigureAwait(false);
        return new SignInResult(SignInOutcome.SignedIn, user);
    }

    /// <summary>The grants of a user, parsed; unknown role names in the store are ignored rather than widening access.</summary>
    public async Task<IReadOnlyList<(WorkflowRole Role, string WorkflowId)>> GetGrantsAsync(string userName, CancellationToken cancellationToken)
    {
        var grants = await _store.ListRoleGrantsForUserAsync(userName, cancellationToken).ConfigureAwait(false);
        var result = new List<(WorkflowRole, string)>(grants.Count);
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
