using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>The SQL store, part: group memberships, changed only with their ledger events.</summary>
internal abstract partial class SqlStore
{
    private const string MembershipColumns =
        "SELECT m.group_name AS GroupName, u.user_name AS UserName, m.source AS Source, m.added_at_us AS AddedAtUs, m.added_by AS AddedBy " +
        "FROM group_members m JOIN users u ON u.user_name_key = m.user_name_key";

    public async Task<IReadOnlyList<GroupMembership>> ListGroupMembershipsAsync(string? groupName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<MembershipRow>(new CommandDefinition(
            MembershipColumns + (groupName is null ? "" : " WHERE m.group_name = @groupName") + " ORDER BY m.group_name, m.user_name_key",
            new { groupName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<GroupMembership>> ListGroupsOfUserAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<MembershipRow>(new CommandDefinition(
            MembershipColumns + " WHERE m.user_name_key = @key ORDER BY m.group_name", new { key = Key(userName) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private static async Task AddGroupMemberRowAsync(DbConnection connection, DbTransaction tx, GroupMembership m, CancellationToken cancellationToken)
    {
        // Selecting from users makes an unknown user insert nothing; ON CONFLICT makes a present member insert nothing.
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO group_members (group_name, user_name_key, source, added_at_us, added_by) " +
            "SELECT @GroupName, user_name_key, @Source, @At, @AddedBy FROM users WHERE user_name_key = @Key " +
            "ON CONFLICT (group_name, user_name_key) DO NOTHING",
            new { m.GroupName, m.Source, At = ToMicros(m.AddedAt), m.AddedBy, Key = Key(m.UserName) }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (inserted != 1)
        {
            throw new StoreConflictException($"{m.UserName} was not added to group {m.GroupName}: no such account, or already a member.");
        }
    }

    private static async Task RemoveGroupMemberRowAsync(DbConnection connection, DbTransaction tx, GroupMemberRemovedRow r, CancellationToken cancellationToken)
    {
        var removed = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM group_members WHERE group_name = @GroupName AND user_name_key = @Key" + (r.Source is null ? "" : " AND source = @Source"),
            new { r.GroupName, Key = Key(r.UserName), r.Source }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (removed != 1)
        {
            throw new StoreConflictException($"{r.UserName} was not removed from group {r.GroupName}: not a member.");
        }
    }

    private sealed class MembershipRow
    {
        public string GroupName { get; set; } = "";
        public string UserName { get; set; } = "";
        public string Source { get; set; } = "";
        public long AddedAtUs { get; set; }
        public string AddedBy { get; set; } = "";

        public GroupMembership ToRecord() => new(GroupName, UserName, Source, FromMicros(AddedAtUs), AddedBy);
    }
}
