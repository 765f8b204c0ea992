using System.Net;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>
/// What every attack test checks of a refusal: the OAuth error the caller sees, that no token came out, and the ledger
/// entry saying what was refused.
/// </summary>
internal sealed class Refusals(RunningServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The ledger's size now: refusals after it are the test's own.</summary>
    public async Task<long> LedgerSizeAsync() => (await server.Store.GetLedgerHeadAsync(Ct)).Size;

    /// <summary>An event of <paramref name="type"/> with this outcome (and, when given, naming <paramref name="mentions"/>) was recorded since <paramref name="from"/>.</summary>
    public async Task AssertRecordedAsync(long from, string type, string outcome, string? mentions = null)
    {
        var events = await server.Store.ReadLedgerEventsAsync(from, 1000, Ct);
        Assert.Contains(events, e => e.Type == type && e.Body.Contains($"\"outcome\":\"{outcome}\"", StringComparison.Ordinal)
            && (mentions is null || e.Body.Contains(mentions, StringComparison.Ordinal)));
    }

    /// <summary>The token endpoint refused with <paramref name="error"/> and a description, gave no token, and recorded it.</summary>
    public async Task AssertTokenRefusedAsync(AgentKit.Answer answer, string error, long from, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        Assert.True(answer.Status == status, answer.Body.ToJsonString());
        Assert.Equal(error, answer.Error);
        Assert.Null(answer.AccessToken);
        Assert.False(string.IsNullOrEmpty((string?)answer.Body["error_description"]));
        await AssertRecordedAsync(from, "token.refused", error);
    }

    /// <summary>The agent API refused with a DPoP challenge naming <paramref name="error"/> (RFC 9449 section 7.1) and recorded it.</summary>
    public async Task AssertCallRefusedAsync(HttpResponseMessage response, string error, long from, HttpStatusCode status = HttpStatusCode.Unauthorized)
    {
        Assert.Equal(status, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith("DPoP ", challenge, StringComparison.Ordinal);
        Assert.Contains($"error=\"{error}\"", challenge, StringComparison.Ordinal);
        Assert.Contains("algs=", challenge, StringComparison.Ordinal);
        await AssertRecordedAsync(from, "token.rejected", error);
    }
}
