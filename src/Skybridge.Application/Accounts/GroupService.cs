using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Accounts;

/// <summary>The outcome of adding a person to a group.</summary>
public enum GroupAddOutcome { Added, AlreadyMember, UnknownUser, InvalidGroupName }

/// <summary>The outcome of removing a person from a group.</summary>
public enum GroupRemoveOutcome { Removed, NotMember, InvalidGroupName }

/// <summary>
/// Group memberships of people, the ones manifests name as <c>group:NAME</c> in their authorities. Added and removed
/// by hand (<see cref="GroupMembership.LocalSource"/>) or copied from a single sign-on's groups claim at each sign-in
/// (source = the provider's authority). Every change is written with its ledger event in one transaction.
/// </summary>
public sealed class GroupService : IPeopleDirectory
{
    /// <summary>The longest group name accepted.</summary>
    public const int MaxGroupNameLength = 128;

    private readonly IPeopleStore _store;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;

    public GroupService(IPeopleStore store, ILedger ledger, TimeProvider time)
    {
        _store = store;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>
    /// True when <paramref name="groupName"/> can be named in a manifest as <c>group:NAME</c>: letters, digits, '.',
    /// '_', '-' and '@', at most <see cref="MaxGroupNameLength"/> characters (the rule of <see cref="Subject"/>).
    /// </summary>
    public static bool IsValidGroupName(string? groupName) =>
        groupName is { Length: > 0 and <= MaxGroupNameLength } && Subject.TryParse("group:" + groupName, out var subject) && subject.Kind == SubjectKind.Group;

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> GroupsOfAsync(string userName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userName);
        var memberships = await _store.ListGroupsOfUserAsync(userName, cancellationToken).ConfigureAwait(false);
        return [.. memberships.Select(m => m.GroupName)];
    }

    /// <summary>The members of <paramref name="groupName"/>, or of every group.</summary>
    public Task<IReadOnlyList<GroupMembership>> ListAsync(string? groupName, CancellationToken cancellationToken) =>
        _store.ListGroupMembershipsAsync(groupName, cancellationToken);

    /// <summary>Adds <paramref name="userName"/> to <paramref name="groupName"/> by hand, recorded as done by <paramref name="actor"/>.</summary>
    public async Task<GroupAddOutcome> AddAsync(string actor, string groupName, string userName, CancellationToken cancellationToken)
    {
        if (!IsValidGroupName(groupName))
        {
            return GroupAddOutcome.InvalidGroupName;
        }

        var user = await _store.GetUserAsync(userName, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return GroupAddOutcome.UnknownUser;
        }

        var membership = new GroupMembership(groupName, user.UserName, GroupMembership.LocalSource, _time.GetUtcNow(), actor);
        try
        {
            await _ledger.AppendAsync([Entry(LedgerEventTypes.GroupMemberAdded, actor, membership.GroupName, membership.UserName, membership.Source, "added")],
                [new GroupMemberAddedRow(membership)], cancellationToken).ConfigureAwait(false);
            return GroupAddOutcome.Added;
        }
        catch (StoreConflictException)
        {
            // The account exists (checked above), so the insert found the person already in the group.
            return GroupAddOutcome.AlreadyMember;
        }
    }

    /// <summary>Removes <paramref name="userName"/> from <paramref name="groupName"/>, whatever put them there.</summary>
    public async Task<GroupRemoveOutcome> RemoveAsync(string actor, string groupName, string userName, CancellationToken cancellationToken)
    {
        if (!IsValidGroupName(groupName))
        {
            return GroupRemoveOutcome.InvalidGroupName;
        }

        var current = (await _store.ListGroupsOfUserAsync(userName, cancellationToken).ConfigureAwait(false)).FirstOrDefault(m => m.GroupName == groupName);
        if (current is null)
        {
            return GroupRemoveOutcome.NotMember;
        }

        try
        {
            await _ledger.AppendAsync([Entry(LedgerEventTypes.GroupMemberRemoved, actor, groupName, current.UserName, current.Source, "removed")],
                [new GroupMemberRemovedRow(groupName, current.UserName)], cancellationToken).ConfigureAwait(false);
            return GroupRemoveOutcome.Removed;
        }
        catch (StoreConflictException)
        {
            return GroupRemoveOutcome.NotMember; // removed by someone else meanwhile
        }
    }

    /// <summary>
    /// Brings the memberships single sign-on gave <paramref name="userName"/> to the groups the provider lists now: the
    /// missing ones are added with <paramref name="authority"/> as their source, those this authority added and no
    /// longer lists are removed. Memberships added by hand stay, like roles granted by hand. A group whose name a
    /// manifest could not write (a path such as <c>/staff/leads</c>) is skipped.
    /// </summary>
    public async Task SyncExternalAsync(string authority, string userName, IEnumerable<string> providerGroups, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authority);
        ArgumentNullException.ThrowIfNull(providerGroups);
        var wanted = providerGroups.Where(IsValidGroupName).ToHashSet(StringComparer.Ordinal);
        var actor = "oidc:" + authority;
        // Two sign-ins of one person at once may race; the loser's conflicting row rolls back its own changes only,
        // and reading again makes the second round see what the first wrote.
        for (var attempt = 0; ; attempt++)
        {
            var held = await _store.ListGroupsOfUserAsync(userName, cancellationToken).ConfigureAwait(false);
            var entries = new List<LedgerEntry>();
            var rows = new List<RecordedRow>();
            var now = _time.GetUtcNow();
            foreach (var group in wanted.Where(g => held.All(m => m.GroupName != g)).Order(StringComparer.Ordinal))
            {
                entries.Add(Entry(LedgerEventTypes.GroupMemberAdded, actor, group, userName, authority, "added"));
                rows.Add(new GroupMemberAddedRow(new GroupMembership(group, userName, authority, now, actor)));
            }

            foreach (var gone in held.Where(m => m.Source == authority && !wanted.Contains(m.GroupName)))
            {
                entries.Add(Entry(LedgerEventTypes.GroupMemberRemoved, actor, gone.GroupName, gone.UserName, authority, "removed"));
                rows.Add(new GroupMemberRemovedRow(gone.GroupName, gone.UserName, authority));
            }

            if (entries.Count == 0)
            {
                return;
            }

            try
            {
                await _ledger.AppendAsync(entries, rows, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (StoreConflictException) when (attempt < 2)
            {
            }
        }
    }

    private static LedgerEntry Entry(string type, string actor, string groupName, string userName, string source, string outcome) => new()
    {
        Type = type,
        Actors = [LedgerActor.Human(actor)],
        Resource = new LedgerResource("group", groupName, ["members"]),
        Outcome = outcome,
        Content = new JsonObject { ["user"] = userName, ["source"] = source },
    };
}
