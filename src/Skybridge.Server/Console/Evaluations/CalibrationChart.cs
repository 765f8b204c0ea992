using System.Globalization;
using System.Net;
using System.Text;
using Skybridge.Application.Evaluation;
using Skybridge.Core.Evaluation;

namespace Skybridge.Server.Console.Evaluations;

/// <summary>
/// The trade-off of a stored sweep as an inline SVG (no script, no style attribute: the console's CSP allows neither):
/// accuracy on answered cases, with its Wilson interval as a whisker, against the share of cases answered; one series
/// per top_k joined in threshold order; the manifest's setting ringed, the recommended (or closest) setting marked.
/// </summary>
internal static class CalibrationChart
{
    private const int Width = 640, Height = 380, Left = 56, Right = 150, Top = 20, Bottom = 48;

    private static readonly string[] Colors = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#57606a"];

    public static string Svg(CalibrationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double share) => Left + (Math.Clamp(share, 0, 1) * plotW);
        double Y(double accuracy) => Top + ((1 - Math.Clamp(accuracy, 0, 1)) * plotH);
        static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        static string P(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"calibration-chart\" role=\"img\" aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\">");
        svg.Append("<title id=\"chart-title\">Accuracy on answered cases against the share of cases answered, per top_k</title>");
        // Grid and axes: a line every 0.2 on both.
        for (var t = 0; t <= 5; t++)
        {
            var v = t / 5.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(v))}\" y1=\"{Top}\" x2=\"{F(X(v))}\" y2=\"{Top + plotH}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{F(Y(v))}\" x2=\"{Left + plotW}\" y2=\"{F(Y(v))}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(v))}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{P(v)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\">{P(v)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Left + (plotW / 2.0))}\" y=\"{Height - 8}\" text-anchor=\"middle\">share of cases answered</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{F(Top + (plotH / 2.0))}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {F(Top + (plotH / 2.0))})\">accuracy (answered)</text>");

        var series = view.Rows.GroupBy(r => r.TopK).OrderBy(g => g.Key).ToList();
        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var points = series[s].OrderBy(r => r.AbstainBelow).Where(r => r.Metric(Metrics.AnswerAccuracy).Value is not null).ToList();
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"series\" data-top-k=\"{series[s].Key}\">");
            if (points.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', points.Select(r => $"{F(X(r.AnsweredShare))},{F(Y(r.Metric(Metrics.AnswerAccuracy).Value!.Value))}"))}\"/>");
            }

            foreach (var row in points)
            {
                var accuracy = row.Metric(Metrics.AnswerAccuracy);
                var x = X(row.AnsweredShare);
                if (accuracy is { Lower: { } lo, Upper: { } hi })
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<line class=\"whisker\" x1=\"{F(x)}\" y1=\"{F(Y(lo))}\" x2=\"{F(x)}\" y2=\"{F(Y(hi))}\" stroke=\"{color}\" stroke-width=\"1\"/>");
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x - 3)}\" y1=\"{F(Y(lo))}\" x2=\"{F(x + 3)}\" y2=\"{F(Y(lo))}\" stroke=\"{color}\"/><line x1=\"{F(x - 3)}\" y1=\"{F(Y(hi))}\" x2=\"{F(x + 3)}\" y2=\"{F(Y(hi))}\" stroke=\"{color}\"/>");
                }

                var y = Y(accuracy.Value!.Value);
                svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" data-abstain-below=\"{P(row.AbstainBelow)}\" cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"3.5\" fill=\"{(row.Clears ? color : "#ffffff")}\" stroke=\"{color}\" stroke-width=\"1.5\">");
                svg.Append(CultureInfo.InvariantCulture, $"<title>top_k {row.TopK}, abstain_below {P(row.AbstainBelow)}: accuracy {P(accuracy.Value.Value)}, answered {P(row.AnsweredShare)}{(row.Clears ? ", clears the bar" : "")}</title></circle>");
                if (row.Current)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle id=\"mark-current\" cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"8\" fill=\"none\" stroke=\"#24292f\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"><title>the manifest's setting</title></circle>");
                }

                if (view.IsRecommended(row) || view.IsClosest(row))
                {
                    var id = view.IsRecommended(row) ? "mark-recommended" : "mark-closest";
                    var stroke = view.IsRecommended(row) ? "#1a7f37" : "#cf222e";
                    svg.Append(CultureInfo.InvariantCulture, $"<rect id=\"{id}\" x=\"{F(x - 7)}\" y=\"{F(y - 7)}\" width=\"14\" height=\"14\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\"><title>{(view.IsRecommended(row) ? "recommended" : "closest (none clears)")}</title></rect>");
                }
            }

            svg.Append("</g>");
            var ly = Top + 10 + (s * 18);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left + plotW + 14}\" y1=\"{ly}\" x2=\"{Left + plotW + 34}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{Left + plotW + 40}\" y=\"{ly + 4}\">top_k {series[s].Key}</text>");
        }

        var legend = Top + 10 + (series.Count * 18) + 8;
        svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Left + plotW + 24}\" cy=\"{legend}\" r=\"7\" fill=\"none\" stroke=\"#24292f\" stroke-dasharray=\"3 2\"/><text x=\"{Left + plotW + 40}\" y=\"{legend + 4}\">manifest's setting</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + plotW + 17}\" y=\"{legend + 11}\" width=\"14\" height=\"14\" fill=\"none\" stroke=\"{(view.Recommended is null ? "#cf222e" : "#1a7f37")}\" stroke-width=\"2\"/><text x=\"{Left + plotW + 40}\" y=\"{legend + 22}\">{WebUtility.HtmlEncode(view.Recommended is null ? "closest" : "recommended")}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW + 14}\" y=\"{legend + 42}\">filled: clears the bar</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
