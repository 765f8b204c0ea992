using System.Globalization;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>The <c>budgets</c> section: limits on calls and on sums of a parameter per period.</summary>
internal sealed partial class ManifestParser
{
    private static readonly string[] BudgetKeys = ["name", "action", "per", "calls", "sum", "max", "period"];

    private static readonly Dictionary<string, BudgetScope> BudgetScopes = new()
    {
        ["workflow"] = BudgetScope.Workflow,
        ["agent"] = BudgetScope.Agent,
    };

    // Positions for the checks against the actions, which run once every action is known.
    private readonly List<(Budget Budget, YNode Item, YScalar? Action, YScalar? Sum)> budgetNodes = [];

    private Budget? ParseBudget(MapReader map)
    {
        var name = RequiredName(map, "name", "budget");
        var action = read.Scalar(map, "action", required: true);
        var per = read.Enum(map, "per", required: true, BudgetScopes) ?? BudgetScope.Workflow;
        var sum = read.Scalar(map, "sum", required: false);
        var calls = map.Has("calls") ? read.Integer(map, "calls", required: true, 1, 1_000_000_000) : null;
        var max = map.Has("max") ? read.Number(map, "max", required: true) : null;
        if (max is <= 0 && map["max"] is YScalar maxNode)
        {
            bag.Error(DiagnosticCodes.OutOfRange, $"'max' in {map.Where} must be greater than 0, not {ScalarReaders.Format(max.Value)}: a budget of nothing denies every call (remove the action instead)", maxNode);
        }
        else if (max > 1_000_000_000_000)
        {
            bag.Error(DiagnosticCodes.OutOfRange, $"'max' in {map.Where} must be at most 1000000000000", map["max"]!);
        }

        // Exactly one kind of limit: a count of calls, or a sum over a parameter with its maximum.
        var isCalls = map.Has("calls");
        var isSum = map.Has("sum") || map.Has("max");
        if (isCalls == isSum || (isSum && (!map.Has("sum") || !map.Has("max"))))
        {
            var what = (isCalls, isSum) switch
            {
                (true, true) => "sets both 'calls' and 'sum'/'max'",
                (false, false) => "sets neither",
                _ => map.Has("sum") ? "sets 'sum' without 'max'" : "sets 'max' without 'sum'",
            };
            bag.Error(DiagnosticCodes.BudgetWithoutLimit, $"{map.Where} {what}; write either 'calls: N' (a rate limit) or 'sum: PARAMETER' with 'max: N'", map.Node);
        }

        var periodNode = read.Scalar(map, "period", required: true);
        var period = TimeSpan.Zero;
        if (periodNode is not null)
        {
            var match = DurationPattern().Match(periodNode.Value);
            if (!match.Success)
            {
                bag.Error(DiagnosticCodes.MalformedValue, $"period '{periodNode.Value}' in {map.Where} is not a duration; write e.g. 1m, 1h or 1d", periodNode);
            }
            else
            {
                var count = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                period = match.Groups[2].Value switch
                {
                    "s" => TimeSpan.FromSeconds(count),
                    "m" => TimeSpan.FromMinutes(count),
                    "h" => TimeSpan.FromHours(count),
                    _ => TimeSpan.FromDays(count),
                };
                if (count == 0 || period > TimeSpan.FromDays(366))
                {
                    bag.Error(DiagnosticCodes.OutOfRange, $"period in {map.Where} must be longer than zero and at most 366d, not {periodNode.Value}", periodNode);
                }
            }
        }

        var budget = new Budget
        {
            Name = name,
            Action = action?.Value ?? string.Empty,
            Per = per,
            Sum = sum?.Value,
            Limit = calls ?? max ?? 0,
            Period = period,
        };
        budgetNodes.Add((budget, map.Node, action, sum));
        return budget;
    }

    /// <summary>Budgets against the actions: the action exists, and a sum is over one of its numeric parameters.</summary>
    private void CheckBudgets(WorkflowManifest manifest)
    {
        var actionNames = manifest.Actions.Select(a => a.Name).Where(n => n.Length > 0).ToList();
        foreach (var (budget, _, actionNode, sumNode) in budgetNodes)
        {
            if (actionNode is null || (budget.Action == "*" && sumNode is null))
            {
                continue;
            }

            var action = manifest.FindAction(budget.Action);
            if (budget.Action != "*" && action is null)
            {
                bag.Error(DiagnosticCodes.BudgetForUnknownAction, $"budget '{budget.Name}' counts action '{budget.Action}', which is not declared (declared: {string.Join(", ", actionNames)}; \"*\" counts every action)",
                    actionNode, EditDistance.FindNearest(budget.Action, actionNames));
                continue;
            }

            if (sumNode is null)
            {
                continue;
            }

            if (action is null)
            {
                bag.Error(DiagnosticCodes.BudgetSumNotNumeric, $"budget '{budget.Name}' sums '{budget.Sum}' over every action (\"*\"); a sum needs one action whose parameter it adds up", sumNode);
                continue;
            }

            var parameter = action.FindParameter(budget.Sum!);
            if (parameter is null || parameter.Type is not (ParameterType.Number or ParameterType.Integer))
            {
                var numeric = action.Parameters.Where(p => p.Type is ParameterType.Number or ParameterType.Integer).Select(p => p.Name).ToList();
                var why = parameter is null ? "which is not a parameter of it" : $"which is a {parameter.Type.ToString().ToLowerInvariant()}";
                bag.Error(DiagnosticCodes.BudgetSumNotNumeric, $"budget '{budget.Name}' sums '{budget.Sum}' of action '{action.Name}', {why}; a sum needs a number parameter (numeric: {(numeric.Count == 0 ? "none" : string.Join(", ", numeric))})",
                    sumNode, EditDistance.FindNearest(budget.Sum!, numeric));
            }
        }

    }
}
