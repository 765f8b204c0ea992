using System.Globalization;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Budgets;

/// <summary>
/// The arithmetic of budgets: which window a moment falls in, when it resets, and amounts as whole units so that every
/// node and both databases add them up exactly (floating point sums of 0.1 drift; integers do not).
/// </summary>
public static class BudgetWindows
{
    /// <summary>Units per 1 of a parameter (or per call): six decimals are kept, the rest rounded.</summary>
    public const long UnitsPerOne = 1_000_000;

    /// <summary>The subject of a workflow-wide budget.</summary>
    public const string Everyone = "*";

    /// <summary>
    /// The start of the fixed window of <paramref name="period"/> containing <paramref name="at"/>, counted from the
    /// Unix epoch so that every node computes the same window without talking to the others.
    /// </summary>
    public static DateTimeOffset StartOf(DateTimeOffset at, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        var sinceEpoch = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var start = sinceEpoch - (((sinceEpoch % period.Ticks) + period.Ticks) % period.Ticks);
        return new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + start, TimeSpan.Zero);
    }

    /// <summary>When the window containing <paramref name="at"/> ends and the budget is full again.</summary>
    public static DateTimeOffset ResetsAt(DateTimeOffset at, TimeSpan period) => StartOf(at, period) + period;

    /// <summary>A value as whole units (rounded to the nearest millionth).</summary>
    public static long ToUnits(double value) => checked((long)Math.Round(value * UnitsPerOne, MidpointRounding.AwayFromZero));

    /// <summary>Units back as a value.</summary>
    public static double FromUnits(long units) => (double)units / UnitsPerOne;

    /// <summary>The limit of <paramref name="budget"/> in units.</summary>
    public static long LimitUnits(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return ToUnits(budget.Limit);
    }

    /// <summary>Whose counter a call of <paramref name="agent"/> goes to.</summary>
    public static string SubjectOf(Budget budget, string agent)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return budget.Per == BudgetScope.Agent ? agent : Everyone;
    }

    /// <summary>A period as the manifest writes it (<c>1d</c>, <c>30m</c>).</summary>
    public static string Format(TimeSpan period) =>
        period.Ticks % TimeSpan.TicksPerDay == 0 ? ((long)period.TotalDays).ToString(CultureInfo.InvariantCulture) + "d"
        : period.Ticks % TimeSpan.TicksPerHour == 0 ? ((long)period.TotalHours).ToString(CultureInfo.InvariantCulture) + "h"
        : period.Ticks % TimeSpan.TicksPerMinute == 0 ? ((long)period.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m"
        : ((long)period.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
}
