namespace Skybridge.Core.Manifests;

/// <summary>The workflow's policy: deny by default; forbid overrides permit.</summary>
public sealed record PolicySettings
{
    /// <summary>Rules in manifest order.</summary>
    public IReadOnlyList<PolicyRule> Rules { get; init; } = [];
}

/// <summary>Whether a rule permits or forbids.</summary>
public enum PolicyEffect
{
    /// <summary>Allows (possibly subject to approval).</summary>
    Permit,

    /// <summary>Denies; overrides any permit.</summary>
    Forbid,
}

/// <summary>Approval a permit rule asks for.</summary>
public enum ApprovalRequirement
{
    /// <summary>No approval: the rule explicitly waives it, also for consequential actions.</summary>
    None,

    /// <summary>A person must approve.</summary>
    Required,
}

/// <summary>Whether a rule takes part in decisions.</summary>
public enum PolicyRuleMode
{
    /// <summary>The rule decides (the default).</summary>
    Enforce,

    /// <summary>
    /// The rule decides nothing; each decision reports what it would have decided with the rule enforced, so the
    /// ledger shows the effect of a new rule before it is switched on.
    /// </summary>
    LogOnly,
}

/// <summary>One policy rule.</summary>
public sealed record PolicyRule
{
    /// <summary>Rule id, named in decisions and the ledger.</summary>
    public required string Id { get; init; }

    /// <summary>Permit or forbid.</summary>
    public required PolicyEffect Effect { get; init; }

    /// <summary>
    /// Who the rule applies to: <c>role:AGENT_ROLE</c>, <c>role:owner</c> (and the other workflow roles) or <c>*</c>.
    /// </summary>
    public IReadOnlyList<string> Principals { get; init; } = [];

    /// <summary>Action names, or <c>*</c>.</summary>
    public IReadOnlyList<string> Actions { get; init; } = [];

    /// <summary>Conditions on the context (all must hold); empty for none.</summary>
    public IReadOnlyList<PolicyCondition> When { get; init; } = [];

    /// <summary>
    /// For permit rules: the approval asked for, or null for the default (consequential actions need approval,
    /// and at L0/L1 every output is approved anyway).
    /// </summary>
    public ApprovalRequirement? Approval { get; init; }

    /// <summary>
    /// For permit rules: how many distinct people must approve, or null (one, when approval is asked for at all).
    /// Setting it asks for approval, as <c>approval: required</c> does.
    /// </summary>
    public int? Approvers { get; init; }

    /// <summary><see cref="PolicyRuleMode.Enforce"/> unless the manifest says <c>mode: log_only</c>.</summary>
    public PolicyRuleMode Mode { get; init; }

    /// <summary>Why the rule exists, or null.</summary>
    public string? Description { get; init; }
}

/// <summary>Comparison in a policy condition.</summary>
public enum ConditionOperator
{
    /// <summary>Equal.</summary>
    Eq,

    /// <summary>Not equal.</summary>
    Ne,

    /// <summary>Less than.</summary>
    Lt,

    /// <summary>Less than or equal.</summary>
    Lte,

    /// <summary>Greater than.</summary>
    Gt,

    /// <summary>Greater than or equal.</summary>
    Gte,

    /// <summary>One of a list.</summary>
    In,
}

/// <summary>A test of one context field.</summary>
/// <param name="Field">
/// Context field: an action parameter name, <c>case.NAME</c> (an attribute of the case) or <c>time.hour</c> (the
/// hour of the day, fractional, in the time the caller supplies).
/// </param>
/// <param name="Operator">Comparison.</param>
/// <param name="Values">
/// Operand(s) as written in the manifest (one, or several for <see cref="ConditionOperator.In"/>). Numbers are kept in
/// invariant-culture text so the policy engine compares them with the parameter's own type.
/// </param>
public sealed record PolicyCondition(string Field, ConditionOperator Operator, IReadOnlyList<string> Values);

/// <summary>The context fields a condition may test besides the action's parameters.</summary>
public static class PolicyFields
{
    /// <summary>Prefix of case attributes: <c>case.priority</c> tests the case's <c>priority</c> attribute.</summary>
    public const string CasePrefix = "case.";

    /// <summary>The hour of the day, fractional (<c>13.5</c> is half past one), in the time the caller supplies.</summary>
    public const string Hour = "time.hour";

    /// <summary>True for <c>case.NAME</c> and <c>time.hour</c>, which are not action parameters.</summary>
    public static bool IsContextField(string field) =>
        field == Hour || (field.StartsWith(CasePrefix, StringComparison.Ordinal) && field.Length > CasePrefix.Length);
}
