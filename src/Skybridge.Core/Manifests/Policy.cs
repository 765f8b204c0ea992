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
/// <param name="Field">Context field (an action parameter name).</param>
/// <param name="Operator">Comparison.</param>
/// <param name="Values">
/// Operand(s) as written in the manifest (one, or several for <see cref="ConditionOperator.In"/>). Numbers are kept in
/// invariant-culture text so the policy engine compares them with the parameter's own type.
/// </param>
public sealed record PolicyCondition(string Field, ConditionOperator Operator, IReadOnlyList<string> Values);
