using System.Globalization;
using Skybridge.Core.Access;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Policy;

/// <summary>
/// Finds policy rules that do not do what their author meant, in a manifest that is otherwise valid: rules that can
/// never match, rules shadowed by others, actions no rule covers. Every finding is a warning with a stable SB14xx
/// code and the position of the rule (see docs/policy.md). Conservative: a finding is reported only when it is
/// proved from the rules and the parameter schemas, never guessed.
/// </summary>
public static class PolicyLint
{
    private const string Wildcard = "*";
    private const string ProposeScope = "actions:propose";

    /// <summary>Lints the policy of a loaded manifest.</summary>
    /// <param name="manifest">The manifest (valid).</param>
    /// <param name="sourceMap">Positions from <see cref="ManifestLoadResult.SourceMap"/>; without one, findings point at line 1.</param>
    /// <param name="fileName">The file name shown in findings.</param>
    public static IReadOnlyList<Diagnostic> Run(WorkflowManifest manifest, ManifestSourceMap? sourceMap, string fileName)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(fileName);
        return new Linter(manifest, sourceMap ?? new ManifestSourceMap(), fileName).Run();
    }

    private sealed class Linter(WorkflowManifest manifest, ManifestSourceMap map, string fileName)
    {
        private readonly List<Diagnostic> found = [];
        private readonly IReadOnlyList<PolicyRule> rules = manifest.Policy.Rules;
        private readonly HashSet<int> neverMatch = [];

        public List<Diagnostic> Run()
        {
            for (var i = 0; i < rules.Count; i++)
            {
                CheckNeverMatches(i);
            }

            for (var i = 0; i < rules.Count; i++)
            {
                if (neverMatch.Contains(i) || rules[i].Mode == PolicyRuleMode.LogOnly)
                {
                    continue;
                }

                if (rules[i].Effect == PolicyEffect.Permit)
                {
                    CheckShadowed(i);
                    CheckApprovers(i);
                }
                else
                {
                    CheckOptionalParameters(i);
                }
            }

            CheckUncoveredActions();
            return [.. found.OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column).ThenBy(d => d.Code, StringComparer.Ordinal)];
        }

        private void Warn(string code, string message, SourceLocation? at) =>
            found.Add(new Diagnostic(code, DiagnosticSeverity.Warning, message, at ?? new SourceLocation(fileName, 1, 1)));

        private PolicyRuleSource? Source(int i) => i < map.Rules.Count ? map.Rules[i] : null;

        private SourceLocation? RuleAt(int i) => Source(i)?.Rule;

        private SourceLocation? ConditionAt(int i, int c) => Source(i) is { } s && c < s.Conditions.Count ? s.Conditions[c] : RuleAt(i);

        private static string Label(PolicyRule rule) => $"policy rule '{rule.Id}'";

        private List<ActionDefinition> NamedActions(PolicyRule rule) => rule.Actions.Contains(Wildcard)
            ? [.. manifest.Actions]
            : [.. rule.Actions.Select(manifest.FindAction).OfType<ActionDefinition>()];

        private void CheckNeverMatches(int i)
        {
            var rule = rules[i];
            var label = Label(rule);

            // Agents propose actions only with the actions:propose scope; people (workflow roles) call them from the console.
            var agentRoles = manifest.Agents.ToDictionary(a => a.Role, StringComparer.Ordinal);
            var roles = rule.Principals.Where(p => p != Wildcard).Select(p => Subject.TryParse(p, out var s) && s.Kind == SubjectKind.Role ? s.Name : p).ToList();
            if (!rule.Principals.Contains(Wildcard) && roles.Count > 0
                && roles.All(r => agentRoles.TryGetValue(r, out var agent) && !agent.Scopes.Contains(ProposeScope) && !WorkflowRoles.All.Any(w => w.ToName() == r)))
            {
                neverMatch.Add(i);
                Warn(DiagnosticCodes.RoleCannotCallActions, $"{label} applies only to {string.Join(", ", rule.Principals)}, which cannot call actions (no '{ProposeScope}' scope), so it never matches", Source(i)?.Principals.FirstOrDefault() ?? RuleAt(i));
                return;
            }

            if (rule.Actions.Contains(Wildcard))
            {
                for (var c = 0; c < rule.When.Count; c++)
                {
                    var field = rule.When[c].Field;
                    if (!PolicyFields.IsContextField(field) && manifest.Actions.All(a => a.FindParameter(field) is null))
                    {
                        neverMatch.Add(i);
                        Warn(DiagnosticCodes.ConditionOnAbsentParameter, $"{label} tests '{field}', which no action has, so it never matches (a condition on a missing value does not hold)", ConditionAt(i, c));
                        return;
                    }
                }

                return;
            }

            var actions = NamedActions(rule);
            if (actions.Count == 0)
            {
                return;
            }

            foreach (var group in rule.When.Select((condition, index) => (condition, index)).GroupBy(x => x.condition.Field))
            {
                var field = group.Key;
                var emptyFor = actions.Where(a => Region.Of(field, a, group.Select(x => x.condition), withSchema: true) is { IsEmpty: true }).ToList();
                if (emptyFor.Count == actions.Count)
                {
                    neverMatch.Add(i);
                    var conditions = string.Join(" and ", group.Select(x => PolicyExplainer.Condition(x.condition)));
                    var schema = Region.Of(field, actions[0], group.Select(x => x.condition), withSchema: false) is { IsEmpty: true }
                        ? "contradict each other"
                        : $"cannot hold for a valid '{field}' (see its schema in action '{actions[0].Name}')";
                    Warn(DiagnosticCodes.RuleNeverMatches, $"{label}: the conditions {conditions} {schema}, so it never matches", ConditionAt(i, group.First().index));
                    return;
                }
            }
        }

        private void CheckShadowed(int p)
        {
            var permit = rules[p];
            for (var f = 0; f < rules.Count; f++)
            {
                var other = rules[f];
                if (f == p || neverMatch.Contains(f) || other.Mode == PolicyRuleMode.LogOnly || !Covers(other, permit))
                {
                    continue;
                }

                if (other.Effect == PolicyEffect.Forbid)
                {
                    Warn(DiagnosticCodes.PermitShadowedByForbid, $"{Label(permit)} never lets anything through: forbid rule '{other.Id}' matches every call it matches (forbid overrides permit)", RuleAt(p));
                    return;
                }

                // A covered permit matters only if it asks for more approval than the rule covering it.
                var moreCautious = NamedActions(permit).Any(a => Asks(permit, a) > Asks(other, a));
                var mutual = Covers(permit, other) && !NamedActions(other).Any(a => Asks(other, a) > Asks(permit, a));
                if (!moreCautious && (!mutual || f < p))
                {
                    var waiver = permit.Approval == ApprovalRequirement.None && NamedActions(permit).Any(a => Asks(other, a) > 0)
                        ? $"; its 'approval: none' never takes effect, because rule '{other.Id}' asks for approval on the same calls and the most cautious permit wins"
                        : string.Empty;
                    Warn(DiagnosticCodes.PermitRedundant, $"{Label(permit)} never changes a decision: rule '{other.Id}' matches every call it matches and asks for at least as much approval{waiver}", RuleAt(p));
                    return;
                }
            }
        }

        /// <summary>Approvers a permit asks for on an action (0 for none).</summary>
        private static int Asks(PolicyRule rule, ActionDefinition action) =>
            rule.Approval == ApprovalRequirement.Required || rule.Approvers is not null || (rule.Approval is null && action.Consequence == ActionConsequence.Consequential)
                ? rule.Approvers ?? 1
                : 0;

        /// <summary>True when <paramref name="wide"/> provably matches every call <paramref name="narrow"/> matches.</summary>
        private bool Covers(PolicyRule wide, PolicyRule narrow)
        {
            var principals = wide.Principals.Contains(Wildcard) || (!narrow.Principals.Contains(Wildcard) && narrow.Principals.All(wide.Principals.Contains));
            var actions = wide.Actions.Contains(Wildcard) || (!narrow.Actions.Contains(Wildcard) && narrow.Actions.All(wide.Actions.Contains));
            if (!principals || !actions)
            {
                return false;
            }

            if (wide.When.Count == 0)
            {
                return true;
            }

            if (narrow.Actions.Contains(Wildcard))
            {
                return false; // Parameter types differ between actions; not provable.
            }

            var named = NamedActions(narrow);
            return wide.When.All(condition => named.All(action =>
                Region.Of(condition.Field, action, narrow.When.Where(n => n.Field == condition.Field), withSchema: true) is { } region
                && narrow.When.Any(n => n.Field == condition.Field)
                && region.Implies(condition)));
        }

        private void CheckApprovers(int i)
        {
            var rule = rules[i];
            foreach (var action in NamedActions(rule))
            {
                var needed = Asks(rule, action);
                if (needed == 0)
                {
                    continue;
                }

                var authority = manifest.Authorities.Approve.TryGetValue(action.Name, out var list) ? list : [];
                var at = Source(i)?.Approvers ?? RuleAt(i);
                if (authority.Count == 0)
                {
                    Warn(DiagnosticCodes.ApprovalCannotBeGathered, $"{Label(rule)} asks for approval of '{action.Name}', but nobody may approve it: add it under authorities.approve", at);
                    return;
                }

                var people = authority.Count(p => p.Kind == PrincipalKind.User);
                if (authority.All(p => p.Kind == PrincipalKind.User) && people < needed)
                {
                    Warn(DiagnosticCodes.ApprovalCannotBeGathered, $"{Label(rule)} asks for {needed} distinct approvers of '{action.Name}', but only {people} {(people == 1 ? "person" : "people")} may approve it ({string.Join(", ", authority)}), so its calls can never be approved", at);
                    return;
                }
            }
        }

        private void CheckOptionalParameters(int i)
        {
            var rule = rules[i];
            for (var c = 0; c < rule.When.Count; c++)
            {
                var field = rule.When[c].Field;
                if (PolicyFields.IsContextField(field))
                {
                    continue;
                }

                var optional = NamedActions(rule).Where(a => a.FindParameter(field) is { Required: false }).Select(a => a.Name).ToList();
                if (optional.Count > 0)
                {
                    Warn(DiagnosticCodes.ForbidOnOptionalParameter, $"{Label(rule)} tests '{field}', which {string.Join(", ", optional.Select(n => $"'{n}'"))} does not require: a call without it escapes this forbid (a condition on a missing value does not hold); make the parameter required", ConditionAt(i, c));
                }
            }
        }

        private void CheckUncoveredActions()
        {
            foreach (var action in manifest.Actions.Where(a => a.Consequence != ActionConsequence.Prohibited))
            {
                var covered = rules.Select((r, i) => (r, i)).Any(x => x.r.Effect == PolicyEffect.Permit && x.r.Mode == PolicyRuleMode.Enforce && !neverMatch.Contains(x.i)
                    && (x.r.Actions.Contains(Wildcard) || x.r.Actions.Contains(action.Name)));
                if (!covered)
                {
                    Warn(DiagnosticCodes.ActionNotCovered, $"action '{action.Name}' is not permitted by any rule, so it can never run (deny by default); add a permit rule or mark it prohibited", map.Actions.TryGetValue(action.Name, out var at) ? at : null);
                }
            }
        }
    }

    /// <summary>The values of one parameter a set of conditions lets through, for the parameter's own type.</summary>
    private sealed class Region
    {
        private double lo = double.NegativeInfinity;
        private double hi = double.PositiveInfinity;
        private bool loOpen;
        private bool hiOpen;
        private HashSet<double>? numbers;
        private readonly HashSet<double> excludedNumbers = [];
        private HashSet<string>? texts;
        private readonly HashSet<string> excludedTexts = new(StringComparer.Ordinal);
        private bool numeric;
        private bool impossible;

        /// <summary>The region of <paramref name="field"/> for <paramref name="action"/>, or null when its type is unknown.</summary>
        public static Region? Of(string field, ActionDefinition action, IEnumerable<PolicyCondition> conditions, bool withSchema)
        {
            var region = new Region();
            if (field == PolicyFields.Hour)
            {
                region.numeric = true;
                region.Intersect(0, false, 24, true);
            }
            else if (action.FindParameter(field) is { } parameter)
            {
                region.numeric = parameter.Type is ParameterType.Number or ParameterType.Integer;
                if (withSchema)
                {
                    if (parameter.Minimum is { } min)
                    {
                        region.Intersect(min, false, double.PositiveInfinity, false);
                    }

                    if (parameter.Maximum is { } max)
                    {
                        region.Intersect(double.NegativeInfinity, false, max, false);
                    }

                    if (parameter.AllowedValues is { } allowed)
                    {
                        region.RestrictTexts(allowed);
                    }
                    else if (parameter.Type == ParameterType.Boolean)
                    {
                        region.RestrictTexts(["true", "false"]);
                    }
                }
            }
            else
            {
                return null;
            }

            foreach (var condition in conditions)
            {
                region.Apply(condition);
            }

            return region;
        }

        private void Apply(PolicyCondition condition)
        {
            var values = condition.Values;
            if (numeric)
            {
                var v = Number(values[0]);
                switch (condition.Operator)
                {
                    case ConditionOperator.Lt: Intersect(double.NegativeInfinity, false, v, true); break;
                    case ConditionOperator.Lte: Intersect(double.NegativeInfinity, false, v, false); break;
                    case ConditionOperator.Gt: Intersect(v, true, double.PositiveInfinity, false); break;
                    case ConditionOperator.Gte: Intersect(v, false, double.PositiveInfinity, false); break;
                    case ConditionOperator.Eq: RestrictNumbers([v]); break;
                    case ConditionOperator.Ne: excludedNumbers.Add(v); break;
                    default: RestrictNumbers(values.Select(Number)); break;
                }

                return;
            }

            switch (condition.Operator)
            {
                case ConditionOperator.Eq: RestrictTexts([values[0]]); break;
                case ConditionOperator.Ne: excludedTexts.Add(values[0]); break;
                case ConditionOperator.In: RestrictTexts(values); break;
                default: impossible = true; break; // Ordering never holds for text.
            }
        }

        private static double Number(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;

        private void Intersect(double newLo, bool newLoOpen, double newHi, bool newHiOpen)
        {
            if (newLo > lo || (newLo == lo && newLoOpen))
            {
                lo = newLo;
                loOpen = newLoOpen;
            }

            if (newHi < hi || (newHi == hi && newHiOpen))
            {
                hi = newHi;
                hiOpen = newHiOpen;
            }
        }

        private void RestrictNumbers(IEnumerable<double> values) =>
            numbers = numbers is null ? [.. values] : [.. numbers.Intersect(values)];

        private void RestrictTexts(IEnumerable<string> values) =>
            texts = texts is null ? new HashSet<string>(values, StringComparer.Ordinal) : new HashSet<string>(texts.Intersect(values, StringComparer.Ordinal), StringComparer.Ordinal);

        private bool InInterval(double v) =>
            (v > lo || (v == lo && !loOpen)) && (v < hi || (v == hi && !hiOpen));

        private List<double>? FiniteNumbers => numbers?.Where(n => InInterval(n) && !excludedNumbers.Contains(n)).ToList();

        private List<string>? FiniteTexts => texts?.Where(t => !excludedTexts.Contains(t)).ToList();

        public bool IsEmpty
        {
            get
            {
                if (impossible)
                {
                    return true;
                }

                if (!numeric)
                {
                    return FiniteTexts is { Count: 0 };
                }

                if (lo > hi || (lo == hi && (loOpen || hiOpen)))
                {
                    return true;
                }

                if (FiniteNumbers is { } finite)
                {
                    return finite.Count == 0;
                }

                return lo == hi && excludedNumbers.Contains(lo);
            }
        }

        /// <summary>True when every value of the region passes <paramref name="condition"/>.</summary>
        public bool Implies(PolicyCondition condition)
        {
            if (IsEmpty)
            {
                return true;
            }

            if (!numeric)
            {
                if (FiniteTexts is { } set)
                {
                    return set.All(t => condition.Operator switch
                    {
                        ConditionOperator.Eq => t == condition.Values[0],
                        ConditionOperator.Ne => t != condition.Values[0],
                        ConditionOperator.In => condition.Values.Contains(t),
                        _ => false,
                    });
                }

                return condition.Operator == ConditionOperator.Ne && excludedTexts.Contains(condition.Values[0]);
            }

            var values = condition.Values.Select(Number).ToList();
            var v = values[0];
            if (FiniteNumbers is { } finite)
            {
                return finite.All(n => condition.Operator switch
                {
                    ConditionOperator.Lt => n < v,
                    ConditionOperator.Lte => n <= v,
                    ConditionOperator.Gt => n > v,
                    ConditionOperator.Gte => n >= v,
                    ConditionOperator.Eq => n == v,
                    ConditionOperator.Ne => n != v,
                    _ => values.Contains(n),
                });
            }

            return condition.Operator switch
            {
                ConditionOperator.Lt => hi < v || (hi == v && hiOpen),
                ConditionOperator.Lte => hi <= v,
                ConditionOperator.Gt => lo > v || (lo == v && loOpen),
                ConditionOperator.Gte => lo >= v,
                ConditionOperator.Eq => lo == v && hi == v,
                ConditionOperator.Ne => !InInterval(v) || excludedNumbers.Contains(v),
                _ => lo == hi && values.Contains(lo),
            };
        }
    }
}
