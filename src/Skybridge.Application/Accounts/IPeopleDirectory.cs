namespace Skybridge.Application.Accounts;

/// <summary>
/// What Skybridge knows about a person at the moment of a decision. Every check against a manifest's <c>group:</c>
/// subjects (who may approve, who may halt) asks here, never a session's claims: a person removed from a group stops
/// counting at the next decision, without signing out, and local and single sign-on people are treated alike.
/// </summary>
public interface IPeopleDirectory
{
    /// <summary>The groups <paramref name="userName"/> is in now, as stored (by hand, or copied from single sign-on at sign-in).</summary>
    Task<IReadOnlyList<string>> GroupsOfAsync(string userName, CancellationToken cancellationToken);
}
