namespace Skybridge.Storage;

/// <summary>Cases submitted to a workflow and their drafts.</summary>
public interface ICaseStore
{
    /// <summary>Stores a submitted case with its draft.</summary>
    Task SaveCaseAsync(StoredCase stored, CancellationToken cancellationToken = default);

    /// <summary>One case, or null.</summary>
    Task<StoredCase?> GetCaseAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>The workflow a case was submitted to (it never changes), or null for an unknown case: a lean read for access checks.</summary>
    Task<string?> GetCaseWorkflowAsync(string caseId, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a workflow's cases, newest first (created time, then id, both descending), at most
    /// <see cref="CaseQuery.Limit"/>: those strictly after <see cref="CaseQuery.Before"/> in that order (keyset paging).
    /// </summary>
    Task<IReadOnlyList<StoredCase>> ListCasesAsync(CaseQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Which cases a list shows.</summary>
public enum CaseFilter
{
    /// <summary>Every case.</summary>
    All,

    /// <summary>Cases whose draft answered.</summary>
    Answered,

    /// <summary>Cases whose draft abstained.</summary>
    Abstained,

    /// <summary>Cases with an action waiting for an approval.</summary>
    PendingApproval,

    /// <summary>Cases with an action the system of record executed.</summary>
    Executed,
}

/// <summary>Where a page of cases ends: the last case shown (its time and id).</summary>
public sealed record CaseCursor(DateTimeOffset CreatedAt, string Id);

/// <summary>A page of one workflow's cases.</summary>
public sealed record CaseQuery
{
    public required string WorkflowId { get; init; }
    public CaseFilter Filter { get; init; } = CaseFilter.All;
    /// <summary>Only cases after this one in newest-first order; null starts at the newest.</summary>
    public CaseCursor? Before { get; init; }
    public int Limit { get; init; } = 25;
}

/// <summary>A submitted case and the draft it got (JSON); <paramref name="Attributes"/> is a JSON object of short texts, or null.</summary>
public sealed record StoredCase(string Id, string WorkflowId, string SubmittedBy, string Text, string Draft, bool Abstained, DateTimeOffset CreatedAt, string? Attributes = null);
