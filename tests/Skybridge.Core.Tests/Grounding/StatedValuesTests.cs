using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

/// <summary>
/// The values a case states and the limits a page states (<see cref="StatedValues"/>): a value keeps its unit's
/// dimension, and a page's value counts as a limit when its words (a range, "over", "up to", "within", "at most") or
/// its table's header ("Free from") say so.
/// </summary>
public sealed class StatedValuesTests
{
    [Theory]
    [InlineData("Can I buy a gift card for 750 EUR?", 750, "EUR")]
    [InlineData("My basket is 85 EUR.", 85, "EUR")]
    [InlineData("The card was charged €63.40 twice.", 63.40, "EUR")]
    [InlineData("My headlamp (8 months old) does not charge.", 8, "time")]
    [InlineData("Meine Schuhe kamen vor 3 Wochen an.", 3, "time")]
    [InlineData("I bought them two weeks ago.", 2, "time")]
    [InlineData("The parcel weighs 3 kg.", 3, "mass")]
    [InlineData("The community notes say 2 GB.", 2, "bytes")]
    [InlineData("Can I call you at 8:30 tomorrow?", 8, "clock")]
    [InlineData("We get maybe 50k hits a day.", 50000, "count")]
    [InlineData("Can I raise the number of attached databases to 200?", 200, "count")]
    [InlineData("I have the 10% code.", 10, "percent")]
    public void Of_ReadsTheValueWithItsUnit(string text, double value, string dimension)
    {
        var stated = Assert.Single(StatedValues.Of(text));

        Assert.Equal(value, stated.Value, 3);
        Assert.Equal(dimension, stated.Dimension);
        Assert.False(stated.Bound);
    }

    [Theory]
    [InlineData("Order SO-491077 was placed.")]
    [InlineData("Strict tables came with version 3.37.0.")]
    [InlineData("I have been a customer since 2019.")]
    [InlineData("Will SQLite truncate my VARCHAR(10)?")]
    [InlineData("SQLite supports one of three modes.")]
    public void Of_ReadsNoValue_FromCodesVersionsYearsAndWords(string text) =>
        Assert.Empty(StatedValues.Of(text));

    [Theory]
    [InlineData("Values: any amount from 10 to 500 EUR, in whole euros.", "EUR")]
    [InlineData("Orders over 100 EUR ship free.", "EUR")]
    [InlineData("The welcome code is for orders from 75 EUR.", "EUR")]
    [InlineData("Return it within 30 days of delivery.", "time")]
    [InlineData("The warranty covers defects for up to 2 years.", "time")]
    [InlineData("It is refunded within 3-5 working days.", "time")]
    [InlineData("The page size must be a power of two between 512 and 65536.", "count")]
    [InlineData("The number of attached databases cannot be increased above 125.", "count")]
    [InlineData("Any site that gets fewer than 100K hits/day should work fine.", "count")]
    [InlineData("Call us Monday to Friday 8:00-18:00 CET.", "clock")]
    [InlineData("Parcels of 31.5 kg at most.", "mass")]
    public void LimitsOf_ReadsTheDimensionOfARangeOrBound(string sentence, string dimension) =>
        Assert.Contains(dimension, StatedValues.LimitsOf(sentence));

    [Theory]
    [InlineData("Germany: 9.90 EUR, next working day.")]
    [InlineData("The default is 10 attached databases.")]
    [InlineData("A card bought in May 2026 is valid until 31 December 2029.")]
    public void LimitsOf_ReadsNoLimit_FromAValueStatedAsIs(string sentence) =>
        Assert.Empty(StatedValues.LimitsOf(sentence));

    [Fact]
    public void LimitsOf_ReadsATableRowsValuesAsLimits_WhenItsHeaderNamesALimit()
    {
        const string Row = "| Other EU countries | 7.90 EUR | 100 EUR | 3-5 working days |";

        Assert.Contains("EUR", StatedValues.LimitsOf(Row, "| Destination | Cost | Free from | Delivery time |"));
        Assert.DoesNotContain("EUR", StatedValues.LimitsOf(Row, "| Destination | Cost | Delivery time |"));
    }

    [Fact]
    public void Decides_IsTrue_OnlyForALimitInTheUnitOfAStatedValue()
    {
        var stated = StatedValues.Of("Can I buy a gift card for 750 EUR?");

        Assert.True(StatedValues.Decides(stated, "Any amount from 10 to 500 EUR, in whole euros."));
        Assert.False(StatedValues.Decides(stated, "Gift cards are valid for up to 3 years."));
        Assert.False(StatedValues.Decides(StatedValues.Of("Can I buy a gift card?"), "Any amount from 10 to 500 EUR."));
    }
}
