using System.Security.Claims;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;

using Skybridge.Application.Tokens;

namespace Skybridge.Server.Authentication;

/// <summary>
/// Turns a person the identity provider signed in into a Skybridge account: <c>sso.NAME</c>, with the roles the
/// group mapping gives them now. A role the mapping granted and the person's groups no longer give is revoked at this
/// sign-in; roles granted by hand are left alone, even on a role and workflow the mapping also names. The person's
/// groups are copied into the stored memberships (source = the authority) the same way, so decisions that name a group
/// read them from the store for single sign-on and local people alike.
/// </summary>
public sealed class ExternalSignIn
{
    private readonly AccountService _accounts;
    private readonly GroupService _groups;
    private readonly OidcOptions _options;

    /// <summary>Sign-in with <paramref name="options"/>' mapping.</summary>
    public ExternalSignIn(AccountService accounts, GroupService groups, OidcOptions options)
    {
        _accounts = accounts;
        _groups = groups;
        _options = options;
    }

    /// <summary>The account name for a provider principal: <c>sso.</c> + its user name (or e-mail, or subject).</summary>
    public static string? LocalName(ClaimsPrincipal external)
    {
        ArgumentNullException.ThrowIfNull(external);
        var name = external.FindFirst("preferred_username")?.Value ?? external.FindFirst("email")?.Value ?? external.FindFirst("sub")?.Value;
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' ? c : '-')]);
        var local = AccountService.ExternalPrefix + safe;
        return local.Length > 64 ? local[..64] : local;
    }

    /// <summary>Makes or updates the account and its mapped roles; returns the account, or null when the principal names nobody.</summary>
    public async Task<(string UserName, string DisplayName)?> SignInAsync(ClaimsPrincipal external, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(external);
        var userName = LocalName(external);
        if (userName is null)
        {
            return null;
        }

        var displayName = external.FindFirst("name")?.Value ?? userName;
        var user = await _accounts.SignInExternalAsync(userName, displayName, _options.Authority, cancellationToken).ConfigureAwait(false);

        var groups = external.FindAll(_options.GroupsClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var wanted = _options.RoleMappings.Where(m => groups.Contains(m.Group)).Select(m => (m.Role, m.Workflow)).Distinct().ToList();
        await _accounts.SyncMappedRolesAsync("oidc-group-mapping", userName, wanted, cancellationToken).ConfigureAwait(false);
        await _groups.SyncExternalAsync(_options.Authority, userName, groups, cancellationToken).ConfigureAwait(false);

        return (user.UserName, displayName);
    }
}
