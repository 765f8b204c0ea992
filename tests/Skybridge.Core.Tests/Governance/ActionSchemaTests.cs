using System.Text.Json.Nodes;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Governance;

/// <summary>A proposal's parameters against the sample's action schemas: every problem at once, each with its code.</summary>
public sealed class ActionSchemaTests
{
    private static readonly WorkflowManifest Sample = PolicyTestSupport.Sample().Manifest;

    private static IReadOnlyList<ParameterProblem> Check(string action, string json) =>
        ActionSchema.Validate(Sample.FindAction(action)!, JsonNode.Parse(json));

    [Fact]
    public void Validate_FittingRefund_HasNoProblem()
    {
        Assert.Empty(Check("refund", """{"order_id":"SO-000001","amount":42.5,"currency":"EUR"}"""));
    }

    [Fact]
    public void Validate_ReportsEveryProblemAtOnce_WithItsParameter()
    {
        var problems = Check("refund", """{"order_id":"ORDER-1","amount":-5,"currency":"USD","note":"rush"}""");

        Assert.Equal(
            [(ActionSchemaCodes.Unknown, "note"), (ActionSchemaCodes.NoMatch, "order_id"), (ActionSchemaCodes.OutOfRange, "amount"), (ActionSchemaCodes.NotAllowed, "currency")],
            problems.Select(p => (p.Code, p.Parameter)));
        Assert.Contains("^SO-[0-9]{6}$", problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("EUR", problems[3].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"order_id":"SO-000001","currency":"EUR"}""", ActionSchemaCodes.Missing, "amount")]
    [InlineData("""{"order_id":"SO-000001","amount":null,"currency":"EUR"}""", ActionSchemaCodes.Missing, "amount")]
    [InlineData("""{"order_id":"SO-000001","amount":"500","currency":"EUR"}""", ActionSchemaCodes.WrongType, "amount")]
    [InlineData("""{"order_id":12,"amount":5,"currency":"EUR"}""", ActionSchemaCodes.WrongType, "order_id")]
    [InlineData("""[1,2]""", ActionSchemaCodes.NotAnObject, null)]
    [InlineData("""null""", ActionSchemaCodes.NotAnObject, null)]
    public void Validate_BadValue_IsNamedWithItsCode(string json, string code, string? parameter)
    {
        var problem = Assert.Single(Check("refund", json));
        Assert.Equal((code, parameter), (problem.Code, problem.Parameter));
    }

    [Fact]
    public void Validate_HugeString_IsTooLong()
    {
        var body = new string('x', ActionSchema.MaxStringLength + 1);
        var problem = Assert.Single(Check("reply", $$"""{"ticket_id":"RT-000001","body":"{{body}}"}"""));
        Assert.Equal(ActionSchemaCodes.TooLong, problem.Code);
    }

    [Fact]
    public void Validate_EnumOnEscalation_AcceptsOnlyTheListedQueues()
    {
        Assert.Empty(Check("escalate", """{"ticket_id":"RT-000001","queue":"warranty"}"""));
        Assert.Equal(ActionSchemaCodes.NotAllowed, Assert.Single(Check("escalate", """{"ticket_id":"RT-000001","queue":"Warranty"}""")).Code);
    }

    [Fact]
    public void Validate_NumbersBuiltInCode_AreNumbers_AsWhenParsed()
    {
        // An in-process caller (the built-in responder) builds parameters from C# values, not from JSON text.
        var built = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = 120, ["currency"] = "EUR" };
        Assert.Empty(ActionSchema.Validate(Sample.FindAction("refund")!, built));
        Assert.True(ActionSchema.TryGetNumber(JsonValue.Create(12.5m), out var fromDecimal) && fromDecimal == 12.5);
        Assert.Equal(ActionSchemaCodes.OutOfRange, Assert.Single(ActionSchema.Validate(Sample.FindAction("refund")!, new JsonObject { ["order_id"] = "SO-000001", ["amount"] = -1, ["currency"] = "EUR" })).Code);
    }

    [Fact]
    public void Validate_AValueThatWouldMakeABacktrackingPatternWorkHard_StillMatches()
    {
        // The first branch fails only after trying every way to split the a's (2^40 on a backtracking engine, far past
        // any timeout); the second matches. A timeout would refuse this valid value as not matching.
        var action = Sample.FindAction("reply")! with
        {
            Parameters = [new ActionParameter { Name = "ticket_id", Type = ParameterType.String, Required = true, Pattern = "^(a+)+c$|^a*b$" }],
        };

        Assert.Empty(ActionSchema.Validate(action, JsonNode.Parse($$"""{"ticket_id":"{{new string('a', 40)}}b"}""")));
        Assert.Equal(ActionSchemaCodes.NoMatch, Assert.Single(ActionSchema.Validate(action, JsonNode.Parse($$"""{"ticket_id":"{{new string('a', 40)}}d"}"""))).Code);
    }
}
