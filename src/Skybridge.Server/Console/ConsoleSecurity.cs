namespace Skybridge.Server.Console;

/// <summary>
/// The console's Content-Security-Policy: no script at all, styles only with this request's nonce, never framed. Pages
/// (and the HTML status page) put the nonce on their one inline style sheet.
/// </summary>
internal static class ConsoleSecurity
{
    /// <summary>Where the request's nonce is kept (<c>HttpContext.Items</c>).</summary>
    public const string NonceKey = "skybridge.csp-nonce";

    /// <summary>The policy for a response whose inline style carries <paramref name="nonce"/>.</summary>
    public static string Policy(string nonce) =>
        $"default-src 'self'; script-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}
