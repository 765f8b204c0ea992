namespace Skybridge.Core.Evaluation;

/// <summary>A two-sided confidence interval for a proportion.</summary>
/// <param name="Lower">Lower end, 0..1.</param>
/// <param name="Upper">Upper end, 0..1.</param>
public readonly record struct ProportionInterval(double Lower, double Upper);

/// <summary>
/// The Wilson score interval for a binomial proportion (E. B. Wilson, "Probable inference, the law of succession,
/// and statistical inference", JASA 22 (1927) 209-212; recommended over the normal "Wald" interval by Brown, Cai and
/// DasGupta, "Interval Estimation for a Binomial Proportion", Statistical Science 16 (2001) 101-133). Unlike the
/// Wald interval it stays inside 0..1 and does not collapse to a point at 0 or n successes, so "10 of 10" does not
/// claim certainty.
/// </summary>
public static class Wilson
{
    /// <summary>
    /// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), with p = successes/n and z the standard normal quantile
    /// of (1 + confidence)/2.
    /// </summary>
    public static ProportionInterval Interval(int successes, int n, double confidence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, successes);
        if (!(confidence > 0 && confidence < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must be between 0 and 1");
        }

        if (n == 0)
        {
            return new ProportionInterval(0, 1);
        }

        var z = Normal.Quantile((1 + confidence) / 2);
        var p = (double)successes / n;
        var z2 = z * z;
        var denominator = 1 + (z2 / n);
        var centre = (p + (z2 / (2.0 * n))) / denominator;
        var half = z / denominator * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        // At 0 and n the exact ends are 0 and 1; rounding must not push them past.
        var lower = successes == 0 ? 0 : Math.Max(0, centre - half);
        var upper = successes == n ? 1 : Math.Min(1, centre + half);
        return new ProportionInterval(lower, upper);
    }
}

/// <summary>The standard normal distribution.</summary>
public static class Normal
{
    /// <summary>
    /// The quantile (inverse CDF) by Wichura's algorithm AS 241 (PPND16, Applied Statistics 37 (1988) 477-484),
    /// accurate to about 1e-16.
    /// </summary>
    public static double Quantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must be between 0 and 1");
        }

        var q = p - 0.5;
        if (Math.Abs(q) <= 0.425)
        {
            var r = 0.180625 - (q * q);
            return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                        + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                        + 133.14166789178437745) * r + 3.387132872796366608)
                / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                        + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                        + 42.313330701600911252) * r + 1.0);
        }

        var s = q < 0 ? p : 1 - p;
        var t = Math.Sqrt(-Math.Log(s));
        double value;
        if (t <= 5)
        {
            t -= 1.6;
            value = (((((((t * 7.7454501427834140764e-4 + 0.0227238449892691845833) * t + 0.24178072517745061177) * t
                        + 1.27045825245236838258) * t + 3.64784832476320460504) * t + 5.7694972214606914055) * t
                        + 4.6303378461565452959) * t + 1.42343711074968357734)
                / (((((((t * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * t + 0.0151986665636164571966) * t
                        + 0.14810397642748007459) * t + 0.68976733498510000455) * t + 1.6763848301838038494) * t
                        + 2.05319162663775882187) * t + 1.0);
        }
        else
        {
            t -= 5;
            value = (((((((t * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * t + 0.0012426609473880784386) * t
                        + 0.026532189526576123093) * t + 0.29656057182850489123) * t + 1.7848265399172913358) * t
                        + 5.4637849111641143699) * t + 6.6579046435011037772)
                / (((((((t * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * t + 1.8463183175100546818e-5) * t
                        + 7.868691311456132591e-4) * t + 0.0148753612908506148525) * t + 0.13692988092273580531) * t
                        + 0.59983220655588793769) * t + 1.0);
        }

        return q < 0 ? -value : value;
    }
}

/// <summary>
/// The exact McNemar test for paired binary outcomes (the same cases run twice): under "no change" each discordant
/// case (passed in one run only) is equally likely to go either way, so the count that got worse is Binomial(b + c, ½).
/// The two-sided p-value is min(1, 2·P(X ≤ min(b, c))) (McNemar, Psychometrika 12 (1947) 153-157; exact form as in
/// Fagerland, Lydersen and Laake, BMC Medical Research Methodology 13 (2013) 91).
/// </summary>
public static class McNemar
{
    /// <summary>Two-sided exact p-value for <paramref name="b"/> and <paramref name="c"/> discordant pairs.</summary>
    public static double ExactPValue(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        var n = b + c;
        if (n == 0)
        {
            return 1;
        }

        // Sum C(n, i)·2^-n for i = 0..min(b, c) in log space so thousands of cases neither overflow nor underflow.
        var k = Math.Min(b, c);
        var logHalfN = -n * Math.Log(2);
        var logChoose = 0.0;
        var tail = 0.0;
        for (var i = 0; i <= k; i++)
        {
            if (i > 0)
            {
                logChoose += Math.Log((double)(n - i + 1) / i);
            }

            tail += Math.Exp(logChoose + logHalfN);
        }

        return Math.Min(1, 2 * tail);
    }
}
