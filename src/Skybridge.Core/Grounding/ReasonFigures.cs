using System.Globalization;

namespace Skybridge.Core.Grounding;

/// <summary>
/// A figure in an abstention's reason, written beside the bar it was judged against: with two decimals, or as many more
/// (up to four) as it takes not to read as the bar itself. A passage covering 0.2997 of a question against a bar of 0.30
/// is "covers 0.2997 ...; asks for at least 0.30", never "covers 0.30 ...; asks for at least 0.30", which reads as a
/// pass that was refused. Invariant culture: a reason reads the same on every server.
/// </summary>
public static class ReasonFigures
{
    /// <summary><paramref name="value"/> written so that it does not read as <paramref name="bar"/> unless it is the bar.</summary>
    public static string Beside(double value, double bar)
    {
        var shownBar = Math.Round(bar, 2);
        var digits = 2;
        while (digits < 4 && value != bar && Math.Round(value, digits) == shownBar)
        {
            digits++;
        }

        return Math.Round(value, digits).ToString("0.00" + new string('#', digits - 2), CultureInfo.InvariantCulture);
    }

    /// <summary>A bar as the reasons write it: two decimals.</summary>
    public static string Bar(double bar) => bar.ToString("0.00", CultureInfo.InvariantCulture);
}
