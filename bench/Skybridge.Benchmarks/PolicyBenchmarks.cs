using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;

namespace Skybridge.Benchmarks;

/// <summary>
/// One policy decision on a generated 100-rule policy (10 actions, 5 agent roles, permits and forbids with numeric
/// and text conditions, wildcard rules): the four ways a decision ends. Target: median &lt;= 2 µs, p99 &lt;= 10 µs,
/// 0 B allocated. BenchmarkDotNet gives the median and allocations; <c>policy-latency</c> (see Program.cs) times
/// single decisions for the p99.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class PolicyBenchmarks
{
    private CompiledPolicy _policy = null!;
    private PolicyRequest _allowed;
    private PolicyRequest _approval;
    private PolicyRequest _forbidden;
    private PolicyRequest _noRule;

    [GlobalSetup]
    public void Setup()
    {
        _policy = GeneratedPolicy.Compile();
        (_allowed, _approval, _forbidden, _noRule) = GeneratedPolicy.Requests(_policy);
    }

    [Benchmark(Baseline = true)]
    public PolicyOutcome Allowed() => _policy.Decide(_allowed).Outcome;

    [Benchmark]
    public PolicyOutcome RequireApproval() => _policy.Decide(_approval).Outcome;

    [Benchmark]
    public PolicyOutcome Forbidden() => _policy.Decide(_forbidden).Outcome;

    [Benchmark]
    public PolicyOutcome NoRulePermits() => _policy.Decide(_noRule).Outcome;
}

/// <summary>The generated 100-rule policy shared by the benchmark and the latency run.</summary>
internal static class GeneratedPolicy
{
    public const int Rules = 100;

    public static CompiledPolicy Compile()
    {
        var result = ManifestLoader.Load(Yaml(), "generated.yaml");
        if (result.Manifest is null)
        {
            throw new InvalidOperationException("generated manifest is invalid:\n" + string.Join('\n', result.Diagnostics));
        }

        return CompiledPolicy.Compile(result.Manifest);
    }

    /// <summary>Requests that end allowed, waiting for approval, forbidden and denied by default (checked here).</summary>
    public static (PolicyRequest Allowed, PolicyRequest Approval, PolicyRequest Forbidden, PolicyRequest NoRule) Requests(CompiledPolicy policy)
    {
        static PolicyRequest Make(string action, string role, double amount, string currency) => new()
        {
            AgentRole = role,
            Action = action,
            Resource = "case-1",
            Parameters = new[] { PolicyArgument.Of("amount", amount), PolicyArgument.Of("currency", currency), PolicyArgument.Of("channel", "email") },
        };

        var wanted = new Dictionary<PolicyReason, PolicyRequest?>
        {
            [PolicyReason.Permitted] = null,
            [PolicyReason.ApprovalRequiredByRule] = null,
            [PolicyReason.ForbiddenByRule] = null,
            [PolicyReason.NoRulePermits] = null,
        };
        string[] currencies = ["EUR", "USD", "GBP"];
        for (var a = 0; a < 10; a++)
        {
            for (var r = 0; r < 5; r++)
            {
                foreach (var amount in new[] { 20.0, 80.0, 400.0, 900.0 })
                {
                    foreach (var currency in currencies)
                    {
                        var request = Make($"act{a}", $"role{r}", amount, currency);
                        var reason = policy.Decide(request).Reason;
                        if (wanted.TryGetValue(reason, out var existing) && existing is null)
                        {
                            wanted[reason] = request;
                        }
                    }
                }
            }
        }

        if (wanted.Values.Any(v => v is null))
        {
            throw new InvalidOperationException("the generated policy does not produce every kind of decision");
        }

        return (wanted[PolicyReason.Permitted]!.Value, wanted[PolicyReason.ApprovalRequiredByRule]!.Value, wanted[PolicyReason.ForbiddenByRule]!.Value, wanted[PolicyReason.NoRulePermits]!.Value);
    }

    /// <summary>Times single decisions (Stopwatch ticks around each call, so the figures include the timer's own cost).</summary>
    public static int RunLatency(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var policy = Compile();
        var (allowed, approval, forbidden, noRule) = Requests(policy);
        PolicyRequest[] requests = [allowed, approval, forbidden, noRule];
        for (var i = 0; i < 200_000; i++)
        {
            _ = policy.Decide(requests[i & 3]);
        }

        var samples = new long[count];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            _ = policy.Decide(requests[i & 3]);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Array.Sort(samples);
        double Micro(double quantile) => samples[(int)Math.Min(count - 1, quantile * count)] * 1_000_000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"policy decision, {Rules} rules, {count:N0} single decisions: median {Micro(0.5):0.000} µs, p99 {Micro(0.99):0.000} µs, p99.9 {Micro(0.999):0.000} µs, max {Micro(1):0.0} µs, allocated {allocated} B"));
        return 0;
    }

    private static string Yaml()
    {
        var text = new StringBuilder();
        text.Append("""
            id: generated
            name: Generated policy
            owner: user:ann
            authorities:
              approve:

            """);
        for (var a = 0; a < 10; a++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    act{a}: [group:leads]\n");
        }

        text.Append("""
              review: [group:qa]
              monitor: [group:ops]
              recalibrate: [user:ann]
              halt: [group:ops]
              sign_gates: [user:ann]
            agents:

            """);
        for (var r = 0; r < 5; r++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - role: role{r}\n    scopes: [actions:propose]\n");
        }

        text.Append("""
            model:
              provider: builtin-extractive
              trains_on_data: false
            connectors:
              - name: system
                type: http
                endpoint: https://system.example.internal/api
            actions:

            """);
        for (var a = 0; a < 10; a++)
        {
            text.Append(CultureInfo.InvariantCulture, $$"""
                  - name: act{{a}}
                    connector: system
                    consequence: {{(a % 2 == 0 ? "routine" : "consequential")}}
                    parameters:
                      amount: { type: number, required: true, minimum: 0 }
                      currency: { type: string, required: true, enum: [EUR, USD, GBP] }
                      channel: { type: string, required: true }

                """);
        }

        text.Append("policy:\n  rules:\n");
        for (var i = 0; i < Rules; i++)
        {
            var forbid = i % 9 == 8;
            var principal = i % 7 == 6 ? "\"*\"" : $"role:role{i % 5}";
            var action = i % 23 == 22 ? "\"*\"" : $"act{i % 10}";
            var threshold = 50 * (1 + (i % 13));
            var when = forbid
                ? $"{{ amount: {{ gt: {threshold * 2} }}, currency: {{ in: [USD, GBP] }} }}"
                : (i % 3) switch
                {
                    0 => $"{{ amount: {{ lte: {threshold} }}, currency: {{ eq: EUR }} }}",
                    1 => $"{{ amount: {{ gt: {threshold}, lte: {threshold * 4} }}, channel: {{ ne: phone }} }}",
                    _ => $"{{ currency: {{ in: [EUR, USD] }}, amount: {{ gte: 1 }} }}",
                };
            var approval = forbid ? string.Empty : (i % 4) switch
            {
                0 => "      approval: none\n",
                1 => "      approval: required\n",
                2 => "      approvers: 2\n",
                _ => string.Empty,
            };
            text.Append(CultureInfo.InvariantCulture, $"    - id: rule-{i}\n      effect: {(forbid ? "forbid" : "permit")}\n      principals: [{principal}]\n      actions: [{action}]\n      when: {when}\n{approval}");
        }

        text.Append("""
            autonomy:
              level: L0-draft
            acceptance_bar:
              - metric: answer_accuracy
                min: 0.9

            """);
        return text.ToString();
    }
}
