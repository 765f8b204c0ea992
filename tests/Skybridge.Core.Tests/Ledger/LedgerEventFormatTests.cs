using System.Text.Json.Nodes;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Core.Tests.Ledger;

public sealed class LedgerEventFormatTests
{
    private static readonly DateTimeOffset Time = new DateTimeOffset(2026, 11, 23, 1, 2, 3, TimeSpan.Zero).AddTicks(4560);

    public static TheoryData<string> Texts() =>
    [
        "plain",
        "quote \" backslash \\ slash /",
        "control \u0001 \b \f \n \r \t \u001f",
        "unicode é ü 漢字 \U0001F600",
        "html <script>&amp;</script> + plus",
        "",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Record_WritesTheSameBytesAsTheGeneralCanonicaliser(string text)
    {
        var entry = new LedgerEntry
        {
            Type = "model.called",
            Actors = [LedgerActor.Human(text + "h"), LedgerActor.Agent("a"), LedgerActor.SubAgent("s")],
            WorkflowId = "support-desk",
            WorkflowVersion = 7,
            CaseId = text,
            Resource = new LedgerResource("ticket", text, ["zeta", "alpha", text]),
            Rules = ["r2", "r1"],
            Outcome = "allow",
            InputHashes = new Dictionary<string, string> { ["zz"] = "1", ["Z"] = "2", ["é"] = "3", ["a"] = text },
            OutputHashes = new Dictionary<string, string> { ["answer"] = "4" },
            Content = new JsonObject { ["quote"] = text, ["score"] = 0.25, ["nested"] = new JsonObject { ["b"] = 1, ["a"] = new JsonArray(1, "x", null) } },
            Follows = ["e1", "e2"],
        };

        var recorded = LedgerEventFormat.Record(entry, 12345678901, Time, "node-1");
        var reparsed = JsonNode.Parse(recorded.CanonicalJson);
        Assert.Equal(CanonicalJson.ToCanonicalString(reparsed), recorded.CanonicalJson);
        Assert.Equal(12345678901, reparsed!["seq"]!.GetValue<long>());
        Assert.Equal("2026-11-23T01:02:03.000456Z", reparsed["time"]!.GetValue<string>());
        Assert.Equal(text, reparsed["case"]!.GetValue<string>());
        // Arrays keep the caller's order (only object members are sorted).
        Assert.Equal("zeta", reparsed["resource"]!["fields"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Record_OmitsWhatWasNotGiven()
    {
        var recorded = LedgerEventFormat.Record(new LedgerEntry { Id = "e", Type = "auth.signed_in", Actors = [LedgerActor.Human("maria")] }, 0, Time, "n");
        Assert.Equal("{\"actors\":[{\"id\":\"maria\",\"kind\":\"human\"}],\"id\":\"e\",\"node\":\"n\",\"seq\":0,\"time\":\"2026-11-23T01:02:03.000456Z\",\"type\":\"auth.signed_in\",\"v\":1}", recorded.CanonicalJson);
    }

    [Fact]
    public void Record_FromPreparedEvents_WritesEachEventWhole_WhenLargeAndSmallEventsAlternate()
    {
        // Prepared events live in pooled buffers: a small event written after a large one (and after the large one's
        // buffer went back) must carry nothing of it.
        var large = new LedgerEntry { Id = "big", Type = "model.called", Actors = [LedgerActor.Agent("a")], Content = new JsonObject { ["text"] = new string('x', 100_000) + "\"é\u0001" } };
        var small = new LedgerEntry { Id = "e", Type = "auth.signed_in", Actors = [LedgerActor.Human("maria")] };
        for (var round = 0; round < 3; round++)
        {
            foreach (var entry in new[] { large, small, large, small })
            {
                using var prepared = LedgerEventFormat.Prepare(entry, "n");
                var recorded = LedgerEventFormat.Record(prepared, round, LedgerEventFormat.FormatTime(Time), Time);
                Assert.Equal(LedgerEventFormat.Record(entry, round, Time, "n").CanonicalJson, recorded.CanonicalJson);
                Assert.Equal(CanonicalJson.ToCanonicalString(JsonNode.Parse(recorded.CanonicalJson)), recorded.CanonicalJson);
            }
        }

        var smallRecorded = LedgerEventFormat.Record(small, 0, Time, "n");
        Assert.Equal("{\"actors\":[{\"id\":\"maria\",\"kind\":\"human\"}],\"id\":\"e\",\"node\":\"n\",\"seq\":0,\"time\":\"2026-11-23T01:02:03.000456Z\",\"type\":\"auth.signed_in\",\"v\":1}", smallRecorded.CanonicalJson);
    }

    [Fact]
    public void Record_RefusesAPreparedEvent_AfterItIsDisposed()
    {
        var prepared = LedgerEventFormat.Prepare(new LedgerEntry { Type = "auth.signed_in", Actors = [LedgerActor.Human("maria")] }, "n");
        var first = LedgerEventFormat.Record(prepared, 4, LedgerEventFormat.FormatTime(Time), Time);
        Assert.Equal(first.CanonicalJson, LedgerEventFormat.Record(prepared, 4, LedgerEventFormat.FormatTime(Time), Time).CanonicalJson);
        prepared.Dispose();
        prepared.Dispose();
        Assert.Throws<ObjectDisposedException>(() => LedgerEventFormat.Record(prepared, 4, LedgerEventFormat.FormatTime(Time), Time));
    }
}
