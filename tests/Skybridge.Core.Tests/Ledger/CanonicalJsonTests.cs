using System.Text;
using System.Text.Json.Nodes;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Ledger;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void Serialize_MatchesRfc8785Section322Example()
    {
        // RFC 8785 §3.2.2 (the input) and §3.2.3 (its canonical form).
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected =
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            + "\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

        var bytes = CanonicalJson.Serialize(JsonNode.Parse(input));

        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        Assert.Equal(Encoding.UTF8.GetBytes(expected), bytes);
    }

    [Fact]
    public void Serialize_SortsMembersByUtf16CodeUnits_AsInRfc8785Section323()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var canonical = JsonNode.Parse(CanonicalJson.ToCanonicalString(JsonNode.Parse(input)))!.AsObject();

        // U+1F600 (surrogates D83D DE00) sorts before U+FB33 by code unit, though after it by code point.
        Assert.Equal(
            ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
             "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"],
            canonical.Select(m => m.Value!.GetValue<string>()));
    }

    [Theory]
    // RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void FormatNumber_MatchesRfc8785AppendixB(string ieee754Hex, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(Convert.ToInt64(ieee754Hex, 16));

        Assert.Equal(expected, CanonicalJson.FormatNumber(value));
        Assert.Equal(expected, CanonicalJson.ToCanonicalString(JsonValue.Create(value)));
    }

    [Theory]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("1E30", "1e+30")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("0.000000000000000000000000001", "1e-27")]
    [InlineData("-0", "0")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("123e-8", "0.00000123")]
    [InlineData("100", "100")]
    [InlineData("-1.5", "-1.5")]
    public void Serialize_FormatsParsedNumbers_AsEcmaScript(string json, string expected)
    {
        Assert.Equal(expected, CanonicalJson.ToCanonicalString(JsonNode.Parse(json)));
    }

    [Fact]
    public void Serialize_FormatsNumbersBuiltInCode_LikeParsedOnes()
    {
        var node = new JsonObject
        {
            ["int"] = 42,
            ["long"] = 9007199254740992L,
            ["decimal"] = 4.50m,
            ["float"] = 0.1f,
            ["double"] = 1e-7,
        };

        Assert.Equal(
            "{\"decimal\":4.5,\"double\":1e-7,\"float\":0.1,\"int\":42,\"long\":9007199254740992}",
            CanonicalJson.ToCanonicalString(node));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Serialize_RejectsNonFiniteNumbers(double value)
    {
        Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(new JsonArray(JsonValue.Create(value))));
    }

    [Fact]
    public void Serialize_EscapesOnlyWhatJcsRequires()
    {
        var node = JsonValue.Create("a\"b\\c\u0001\u001f\b\f\n\r\t/\u007f\u2028é😀<>&");

        Assert.Equal(
            "\"a\\\"b\\\\c\\u0001\\u001f\\b\\f\\n\\r\\t/\u007f\u2028é😀<>&\"",
            CanonicalJson.ToCanonicalString(node));
    }

    [Fact]
    public void Serialize_RejectsLoneSurrogates()
    {
        Assert.Throws<ArgumentException>(() => CanonicalJson.Serialize(JsonValue.Create("a\ud800b")));
    }

    [Fact]
    public void Serialize_WritesNullAndNestedStructures_WithoutWhitespace()
    {
        Assert.Equal("null", CanonicalJson.ToCanonicalString(null));
        Assert.Equal(
            "{\"a\":[],\"b\":{},\"c\":[{\"y\":null,\"z\":1}]}",
            CanonicalJson.ToCanonicalString(JsonNode.Parse("""{ "c": [ { "z": 1, "y": null } ], "b": { }, "a": [ ] }""")));
    }

    [Fact]
    public void SerializeObject_GivesSameBytesAsTheCanonicalNode_WhateverThePropertyOrder()
    {
        var first = CanonicalJson.SerializeObject(new { Zeta = 1, Alpha = "x", Amount = 12.50m });
        var second = CanonicalJson.SerializeObject(new { Amount = 12.5, Alpha = "x", Zeta = 1.0 });

        Assert.Equal("{\"Alpha\":\"x\",\"Amount\":12.5,\"Zeta\":1}", Encoding.UTF8.GetString(first));
        Assert.Equal(first, second);
    }
}
