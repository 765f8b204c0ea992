namespace Skybridge.Storage;

/// <summary>Cases submitted to a workflow and their drafts.</summary>
public interface ICaseStore
{
    /// <summary>Stores a submitted case with its draft.</summary>
    Task SaveCaseAsync(StoredCase stored, CancellationToken cancellationToken = default);

    /// <summary>One case, or null.</summary>
    Task<StoredCase?> GetCaseAsync(string caseId, CancellationToken cancellationToken = default);
}

/// <summary>A submitted case and the draft it got (JSON); <paramref name="Attributes"/> is a JSON object of short texts, or null.</summary>
public sealed record StoredCase(string Id, string WorkflowId, string SubmittedBy, string Text, string Draft, bool Abstained, DateTimeOffset CreatedAt, string? Attributes = null);
