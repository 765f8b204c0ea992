using System.Text.Json.Nodes;
using Skybridge.Application.Actions;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// The claim is written after the explanation's text instead of serialising the whole detail again: the stored text must
/// be exactly what serialising the claimed object gives, whatever the node's name holds.
/// </summary>
public sealed class ClaimDetailTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 11, 28, 3, 4, 5, TimeSpan.Zero).AddTicks(60);

    public static TheoryData<string> NodeIds => ["node-a", "node <&> \"quoted\" \\ é 漢 😀 +'", "", "tab\tnew\nline\u0001"];

    private static JsonObject Explanation() => new()
    {
        ["decision"] = "allow",
        ["disposition"] = "execute",
        ["summary"] = "Allowed by rule <refund-small> & \"friends\" é",
        ["rules"] = new JsonArray(new JsonObject { ["id"] = "refund-small", ["effect"] = "permit", ["text"] = "amount <= 50" }),
        ["would_allow"] = new JsonArray(),
        ["authority"] = new JsonArray("role:lead"),
        ["approvers"] = 0,
    };

    [Theory]
    [MemberData(nameof(NodeIds))]
    public void ClaimDetail_FromTheWrittenText_EqualsSerialisingTheClaimedObject(string nodeId)
    {
        var detail = Explanation();
        var text = detail.ToJsonString();

        var claimed = ActionExecutor.ClaimDetail(detail, text, nodeId, At);

        var expected = Explanation();
        expected["claimed_by"] = nodeId;
        expected["claimed"] = "2026-11-28T03:04:05.000006Z";
        Assert.Equal(expected.ToJsonString(), claimed);
        Assert.Equal(detail.ToJsonString(), claimed);
        Assert.Equal(ActionExecutor.ClaimDetail(text, nodeId, At), claimed);
    }

    [Fact]
    public void ClaimDetail_FromTheWrittenText_SerialisesAgain_WhenTheDetailWasClaimedBefore()
    {
        var detail = Explanation();
        detail["claimed_by"] = "node-old";
        detail["claimed"] = "2026-11-27T00:00:00.000000Z";
        var text = detail.ToJsonString();

        var claimed = ActionExecutor.ClaimDetail(detail, text, "node-b", At);

        Assert.Equal(detail.ToJsonString(), claimed);
        Assert.Equal("node-b", (string?)JsonNode.Parse(claimed)!["claimed_by"]);
        Assert.Single(JsonNode.Parse(claimed)!.AsObject(), m => m.Key == "claimed_by");
    }

    [Fact]
    public void ClaimDetail_FromTheWrittenText_OfAnEmptyDetail_IsAnObjectOfTheClaim()
    {
        var detail = new JsonObject();

        var claimed = ActionExecutor.ClaimDetail(detail, detail.ToJsonString(), "n", At);

        Assert.Equal("""{"claimed_by":"n","claimed":"2026-11-28T03:04:05.000006Z"}""", claimed);
    }
}
