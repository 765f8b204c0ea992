namespace Skybridge.Core.Manifests;

/// <summary>Whose spending a budget counts: the whole workflow's, or each agent's on its own.</summary>
public enum BudgetScope
{
    /// <summary>One counter for every agent of the workflow together.</summary>
    Workflow,

    /// <summary>One counter per agent (client id).</summary>
    Agent,
}

/// <summary>
/// A limit on actions per period, enforced before execution: either a number of calls (a rate limit) or a sum over a
/// numeric parameter (for example refunds at most 500 EUR a day). Windows are fixed and aligned to the Unix epoch in
/// UTC, so a <c>1d</c> budget resets at midnight UTC.
/// </summary>
public sealed record Budget
{
    /// <summary>Budget name, unique in the manifest; denials and the ledger name it.</summary>
    public required string Name { get; init; }

    /// <summary>The action counted, or <c>*</c> for every action.</summary>
    public required string Action { get; init; }

    /// <summary>Per workflow or per agent.</summary>
    public required BudgetScope Per { get; init; }

    /// <summary>The numeric parameter summed, or null for a budget that counts calls.</summary>
    public string? Sum { get; init; }

    /// <summary>At most this many calls (when <see cref="Sum"/> is null) or this much of the parameter, per window.</summary>
    public required double Limit { get; init; }

    /// <summary>The window's length.</summary>
    public required TimeSpan Period { get; init; }

    /// <summary>True when the budget applies to <paramref name="action"/>.</summary>
    public bool Covers(string action) => Action == "*" || Action == action;
}
