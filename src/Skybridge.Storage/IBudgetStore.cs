namespace Skybridge.Storage;

/// <summary>
/// Budget counters: one per (workflow, budget, subject, window). A spend adds to a counter only if the result stays
/// within the limit, in one conditional statement, so two nodes spending at once can never both get the last unit.
/// The action path spends with <see cref="BudgetSpendRow"/>, in the same transaction as the proposal's ledger events:
/// a spend that no longer fits rolls the whole proposal back (<see cref="BudgetExhaustedException"/>).
/// </summary>
public interface IBudgetStore
{
    /// <summary>What a window has used so far (0 when nothing was spent in it).</summary>
    Task<long> GetBudgetUsedAsync(BudgetWindowKey window, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds <see cref="BudgetSpend.Amount"/> to the window if the result stays within <see cref="BudgetSpend.Limit"/>;
    /// otherwise changes nothing. Outside any ledger transaction (the action path uses <see cref="BudgetSpendRow"/>).
    /// </summary>
    Task<BudgetSpendResult> SpendBudgetAsync(BudgetSpend spend, CancellationToken cancellationToken = default);
}

/// <summary>One budget counter: the workflow, the budget's name, its subject (an agent, or <c>*</c> for the whole workflow) and the window's start.</summary>
public sealed record BudgetWindowKey(string WorkflowId, string Budget, string Subject, DateTimeOffset WindowStart);

/// <summary>
/// An amount to add to a window, in whole units (see Core's BudgetWindows), if it stays within <paramref name="Limit"/>.
/// <paramref name="ActionId"/> names the action it is for, so a rejected or expired approval can give it back.
/// </summary>
public sealed record BudgetSpend(BudgetWindowKey Window, long Amount, long Limit, string? ActionId = null);

/// <summary>Whether a spend fitted, and the window's use after it (or as it stands, when it did not fit).</summary>
public sealed record BudgetSpendResult(bool Fits, long Used, long Limit)
{
    /// <summary>What is left in the window.</summary>
    public long Left => Math.Max(0, Limit - Used);
}

/// <summary>
/// Spends, written with the proposal's ledger events: all fit, or the transaction fails with
/// <see cref="BudgetExhaustedException"/> and nothing of the proposal is written.
/// </summary>
public sealed record BudgetSpendRow(IReadOnlyList<BudgetSpend> Spends) : RecordedRow;

/// <summary>Gives back what an action spent (its approval was rejected or expired), written with the decision's event.</summary>
public sealed record BudgetReleaseRow(string ActionId) : RecordedRow;

/// <summary>
/// A spend did not fit any more: another node spent the rest first. Nothing of the transaction was written. Its own
/// type (not <see cref="StoreConflictException"/>, which means "someone else took this idempotency key or decision"):
/// the action path answers it by deciding the proposal again, which then denies it with the budget's reason.
/// </summary>
public sealed class BudgetExhaustedException : Exception
{
    public BudgetExhaustedException(string budget, string message) : base(message) => Budget = budget;

    /// <summary>The budget that did not fit.</summary>
    public string Budget { get; }
}
