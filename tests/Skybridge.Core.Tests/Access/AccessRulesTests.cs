using Skybridge.Core.Access;
using Skybridge.Core.Identity;

namespace Skybridge.Core.Tests.Access;

public sealed class AccessRulesTests
{
    private const string Desk = "support-desk";
    private const string Billing = "billing-disputes";

    private static (WorkflowRole, string)[] On(WorkflowRole role, string workflow = Desk) => [(role, AccessRules.GrantedOn(role, workflow))];

    private static ScopeSet Scope(string text) => ScopeSet.TryParse(text, out var s) ? s : throw new ArgumentException(text);

    [Theory]
    [InlineData(WorkflowRole.Owner, true)]
    [InlineData(WorkflowRole.Operator, true)]
    [InlineData(WorkflowRole.Admin, true)]
    [InlineData(WorkflowRole.Approver, false)]
    [InlineData(WorkflowRole.Reviewer, false)]
    [InlineData(WorkflowRole.Auditor, false)]
    public void IsAllowed_SubmitCase_OnlyOwnerOperatorAndAdmin(WorkflowRole role, bool expected)
    {
        Assert.Equal(expected, AccessRules.IsAllowed(On(role), Permission.SubmitCase, Desk));
    }

    [Fact]
    public void IsAllowed_ReadCase_EveryRoleOnTheWorkflow_NobodyElsewhere()
    {
        foreach (var role in WorkflowRoles.All)
        {
            Assert.True(AccessRules.IsAllowed(On(role), Permission.ReadCase, Desk), role.ToString());
            Assert.Equal(role == WorkflowRole.Admin, AccessRules.IsAllowed(On(role), Permission.ReadCase, Billing));
        }
    }

    [Theory]
    [InlineData(WorkflowRole.Owner, true)]
    [InlineData(WorkflowRole.Auditor, true)]
    [InlineData(WorkflowRole.Operator, true)]
    [InlineData(WorkflowRole.Admin, true)]
    [InlineData(WorkflowRole.Approver, false)]
    [InlineData(WorkflowRole.Reviewer, false)]
    public void IsAllowed_ReadCaseTrail_AccountableAndAuditingRolesOnly(WorkflowRole role, bool expected)
    {
        Assert.Equal(expected, AccessRules.IsAllowed(On(role), Permission.ReadCaseTrail, Desk));
    }

    [Fact]
    public void IsAllowed_WorkflowRoles_NeverCountInstallationWide()
    {
        // An owner of every workflow there is still may not manage accounts: only the admin role is installation-wide.
        (WorkflowRole, string)[] owner = [(WorkflowRole.Owner, Desk), (WorkflowRole.Owner, Billing), (WorkflowRole.Owner, AccessRules.AllWorkflows)];
        Assert.False(AccessRules.IsAllowed(owner, Permission.ManageUsers, null));
        Assert.True(AccessRules.IsAllowed(On(WorkflowRole.Admin), Permission.ManageUsers, null));
    }

    [Fact]
    public void GrantedOn_Admin_IsEveryWorkflow_OtherRolesTheirOwn()
    {
        Assert.Equal(AccessRules.AllWorkflows, AccessRules.GrantedOn(WorkflowRole.Admin, Desk));
        Assert.Equal(AccessRules.AllWorkflows, AccessRules.GrantedOn(WorkflowRole.Admin, null));
        Assert.Equal(Desk, AccessRules.GrantedOn(WorkflowRole.Reviewer, Desk));
        Assert.Throws<ArgumentNullException>(() => AccessRules.GrantedOn(WorkflowRole.Reviewer, null));
    }

    [Fact]
    public void ScopesFor_Auditor_ReadsButNeverWritesCases()
    {
        var scopes = AccessRules.ScopesFor(On(WorkflowRole.Auditor));
        Assert.Equal("approvals:read cases:read ledger:read reviews:read workflows:read", scopes.ToString());
        Assert.False(scopes.Contains(AccessRules.CasesWrite));
    }

    [Fact]
    public void ScopesFor_IsTheUnionOverGrants_AndAdminGetsTheWholeVocabulary()
    {
        Assert.Equal("cases:read reviews:read reviews:write workflows:read", AccessRules.ScopesFor(On(WorkflowRole.Reviewer)).ToString());
        Assert.Equal("approvals:read cases:read cases:write ledger:read reviews:read reviews:write workflows:halt workflows:read",
            AccessRules.ScopesFor([(WorkflowRole.Reviewer, Desk), (WorkflowRole.Operator, Billing)]).ToString());
        Assert.Equal(AccessRules.PersonScopes, AccessRules.ScopesFor(On(WorkflowRole.Admin)).Items);
        Assert.True(AccessRules.ScopesFor([]).IsEmpty);
    }

    [Fact]
    public void ScopeAllows_NarrowTokenRefused_SessionCookieOnlyRoles()
    {
        Assert.False(AccessRules.ScopeAllows(Scope("cases:read"), Permission.ManageUsers));
        Assert.False(AccessRules.ScopeAllows(Scope("cases:read"), Permission.HaltWorkflow));
        Assert.False(AccessRules.ScopeAllows(Scope("cases:read"), Permission.PublishManifest));
        Assert.True(AccessRules.ScopeAllows(Scope("cases:read"), Permission.ReadCase));
        Assert.True(AccessRules.ScopeAllows(null, Permission.ManageUsers));
    }

    [Fact]
    public void Table_EveryPermissionHasARow_WithARoleAndAScopeOfTheVocabulary()
    {
        foreach (var permission in Enum.GetValues<Permission>())
        {
            var rule = AccessRules.Rule(permission);
            if (permission == Permission.ProposeAction)
            {
                // Only agents propose actions: no person's role, and so no person's token, carries it.
                Assert.Empty(rule.Roles);
                Assert.DoesNotContain(rule.Scope, AccessRules.PersonScopes);
                continue;
            }

            Assert.Contains(WorkflowRole.Admin, rule.Roles);
            Assert.Contains(rule.Scope, AccessRules.PersonScopes);
            Assert.True(ScopeSet.TryParse(rule.Scope, out var parsed) && parsed.Items.Count == 1, permission.ToString());
        }

        // Agents use only the case and action permissions, with the scopes their manifest roles declare.
        Assert.Equal(new[] { Permission.SubmitCase, Permission.ReadCase, Permission.ProposeAction }, Enum.GetValues<Permission>().Where(p => AccessRules.Rule(p).Agents));
    }

    [Fact]
    public void MayGrant_OwnerGrantsWorkingRolesOnOwnWorkflow_OnlyAdminGrantsOwnerOrAdmin()
    {
        Assert.True(AccessRules.MayGrant(On(WorkflowRole.Owner), WorkflowRole.Auditor, Desk));
        Assert.False(AccessRules.MayGrant(On(WorkflowRole.Owner), WorkflowRole.Auditor, Billing));
        Assert.False(AccessRules.MayGrant(On(WorkflowRole.Owner), WorkflowRole.Owner, Desk));
        Assert.False(AccessRules.MayGrant(On(WorkflowRole.Operator), WorkflowRole.Reviewer, Desk));
        Assert.True(AccessRules.MayGrant(On(WorkflowRole.Admin), WorkflowRole.Owner, Billing));
    }
}
