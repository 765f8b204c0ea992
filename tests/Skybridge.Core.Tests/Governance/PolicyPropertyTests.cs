using System.Globalization;
using System.Text;
using Skybridge.Core.Governance.Policy;
using static Skybridge.Core.Tests.Governance.PolicyTestSupport;

namespace Skybridge.Core.Tests.Governance;

/// <summary>Random policies and requests against a plain oracle: whatever a forbid rule matches is never let through.</summary>
public sealed class PolicyPropertyTests
{
    private static readonly string[] Roles = ["responder", "researcher"];
    private static readonly string[] Currencies = ["EUR", "USD"];
    private static readonly string[] NumberOps = ["lt", "lte", "gt", "gte", "eq", "ne"];

    private sealed record Rule(bool Forbid, bool LogOnly, string? Role, string? Action, List<(string Field, string Op, string Value)> When);

    [Fact]
    public void Decide_NeverLetsThroughWhatAnEnforcedForbidMatches_ForRandomPoliciesAndRequests()
    {
        var random = new Random(20260301);
        var checkedForbidden = 0;
        for (var p = 0; p < 60; p++)
        {
            var rules = Enumerable.Range(0, random.Next(1, 9)).Select(_ => RandomRule(random)).ToList();
            var policy = Compile(Yaml(rules));
            for (var q = 0; q < 200; q++)
            {
                var request = RandomRequest(random, out var values);
                var decision = policy.Decide(request);
                var forbidden = rules.Any(r => r.Forbid && !r.LogOnly && Matches(r, request, values));
                var permitted = rules.Any(r => !r.Forbid && !r.LogOnly && Matches(r, request, values));
                if (forbidden)
                {
                    checkedForbidden++;
                    Assert.Equal(PolicyReason.ForbiddenByRule, decision.Reason);
                }
                else if (!permitted)
                {
                    Assert.Equal(PolicyOutcome.Deny, decision.Outcome);
                }
                else
                {
                    Assert.NotEqual(PolicyOutcome.Deny, decision.Outcome);
                }
            }
        }

        Assert.True(checkedForbidden > 500, $"only {checkedForbidden} forbidden requests were generated");
    }

    private static Rule RandomRule(Random random)
    {
        var action = random.Next(3) switch { 0 => "reply", 1 => "refund", _ => null };
        var when = new List<(string, string, string)>();
        if (action != "reply")
        {
            for (var i = random.Next(3); i > 0; i--)
            {
                when.Add(random.Next(2) == 0
                    ? ("amount", NumberOps[random.Next(NumberOps.Length)], random.Next(0, 200).ToString(CultureInfo.InvariantCulture))
                    : ("currency", random.Next(2) == 0 ? "eq" : "ne", Currencies[random.Next(2)]));
            }
        }

        return new Rule(random.Next(3) == 0, random.Next(6) == 0, random.Next(3) == 0 ? null : Roles[random.Next(2)], action, when);
    }

    private static string Yaml(List<Rule> rules)
    {
        var text = new StringBuilder();
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            text.Append(CultureInfo.InvariantCulture, $"- id: r{i}\n  effect: {(r.Forbid ? "forbid" : "permit")}\n");
            text.Append(CultureInfo.InvariantCulture, $"  principals: [\"{(r.Role is null ? "*" : "role:" + r.Role)}\"]\n  actions: [\"{r.Action ?? "*"}\"]\n");
            if (r.When.Count > 0)
            {
                text.Append("  when: {");
                text.Append(string.Join(", ", r.When.GroupBy(w => w.Field).Select(g => $"{g.Key}: {{ {string.Join(", ", g.GroupBy(w => w.Op).Select(o => $"{o.Key}: {o.First().Value}"))} }}")));
                text.Append(" }\n");
            }

            if (r.LogOnly)
            {
                text.Append("  mode: log_only\n");
            }
        }

        return text.ToString();
    }

    private static PolicyRequest RandomRequest(Random random, out Dictionary<string, string> values)
    {
        values = [];
        var action = random.Next(2) == 0 ? "reply" : "refund";
        var parameters = new List<PolicyArgument>();
        if (action == "refund")
        {
            if (random.Next(8) > 0)
            {
                var amount = random.Next(0, 200);
                values["amount"] = amount.ToString(CultureInfo.InvariantCulture);
                parameters.Add(PolicyArgument.Of("amount", amount));
            }

            if (random.Next(8) > 0)
            {
                var currency = Currencies[random.Next(2)];
                values["currency"] = currency;
                parameters.Add(PolicyArgument.Of("currency", currency));
            }
        }
        else
        {
            parameters.Add(PolicyArgument.Of("body", "hello"));
        }

        return new PolicyRequest { AgentRole = Roles[random.Next(2)], Action = action, Parameters = parameters.ToArray() };
    }

    /// <summary>The oracle: a rule matches when its role, action and every condition (only the last of a duplicated operator counts once in YAML) hold.</summary>
    private static bool Matches(Rule rule, PolicyRequest request, Dictionary<string, string> values)
    {
        if ((rule.Role is not null && rule.Role != request.AgentRole) || (rule.Action is not null && rule.Action != request.Action))
        {
            return false;
        }

        foreach (var group in rule.When.GroupBy(w => (w.Field, w.Op)))
        {
            var (field, op, operand) = group.First();
            if (!values.TryGetValue(field, out var actual))
            {
                return false;
            }

            var holds = field == "amount"
                ? Compare(double.Parse(actual, CultureInfo.InvariantCulture), op, double.Parse(operand, CultureInfo.InvariantCulture))
                : op == "eq" ? actual == operand : actual != operand;
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Compare(double a, string op, double b) => op switch
    {
        "lt" => a < b,
        "lte" => a <= b,
        "gt" => a > b,
        "gte" => a >= b,
        "eq" => a == b,
        _ => a != b,
    };
}
