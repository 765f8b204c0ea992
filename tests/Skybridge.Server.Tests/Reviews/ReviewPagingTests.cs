using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Reviews;

/// <summary>
/// The review queue in pages over real sockets: the API's Link rel="next" cursor, the console's "next page" link that
/// keeps the filter, and a cursor the server did not make refused with a stable code.
/// </summary>
public sealed partial class ReviewPagingTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ReviewPagingTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Sampled = DateTimeOffset.UtcNow;

    /// <summary>A case queued for one review, due <paramref name="dueMinutes"/> after <see cref="Sampled"/>.</summary>
    private async Task QueueAsync(string caseId, int dueMinutes)
    {
        var stored = new StoredCase(caseId, RunningServer.Workflow, "user:owner", "Where is my parcel?", "{}", false, Sampled);
        var item = new StoredReviewItem(caseId, RunningServer.Workflow, Sampled, Sampled.AddHours(24).AddMinutes(dueMinutes), 1, 1, "autonomy_level", 1);
        await _server.Services.GetRequiredService<ILedger>().AppendAsync(
            [new LedgerEntry { Type = LedgerEventTypes.CaseSampled, Actors = [LedgerActor.System("test")], WorkflowId = RunningServer.Workflow, CaseId = caseId }],
            [new CaseRecordedRow(stored), new ReviewEnqueuedRow(item)], Ct);
    }

    private static string? NextLink(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var values) && LinkNext().Match(string.Join(",", values)) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex("<([^>]+)>;\\s*rel=\"next\"")]
    private static partial Regex LinkNext();

    [GeneratedRegex("data-case=\"([^\"]+)\"")]
    private static partial Regex QueueRow();

    [GeneratedRegex("id=\"next-page\" href=\"([^\"]+)\"")]
    private static partial Regex NextPageLink();

    [Fact]
    public async Task ReviewQueueApi_PagedWhileCasesArrive_ReturnsEveryItemExactlyOnce_ThenNoNextLink()
    {
        var queued = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            queued.Add($"case-page-{i:00}");
            await QueueAsync(queued[^1], i);
        }

        using var http = await _server.SignedInClientAsync("reviewer");
        var seen = new List<string>();
        string? url = $"/api/workflows/{RunningServer.Workflow}/reviews?status=open&limit=3";
        var pages = 0;
        while (url is not null)
        {
            using var response = await http.GetAsync(url, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.EnumerateArray().Select(e => e.GetProperty("caseId").GetString()!).ToList();
            Assert.True(items.Count <= 3);
            seen.AddRange(items);
            url = NextLink(response);
            pages++;
            if (pages <= 2)
            {
                // Sampled while the reader pages (due later than all before): it shows up once, on a later page.
                queued.Add($"case-page-late-{pages}");
                await QueueAsync(queued[^1], 100 + pages);
            }
        }

        Assert.Equal(queued, seen.Where(queued.Contains));
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(pages >= 3);
    }

    [Fact]
    public async Task ReviewQueueApi_ACursorTheServerDidNotMake_Is400InvalidCursor()
    {
        using var http = await _server.SignedInClientAsync("reviewer");
        var forged = Convert.ToBase64String("q1:not-a-number:case-x"u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        foreach (var cursor in new[] { "%%%", "bm90LWEtY3Vyc29y", forged })
        {
            using var response = await http.GetAsync($"/api/workflows/{RunningServer.Workflow}/reviews?after={cursor}", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_cursor", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task ReviewQueueConsole_ShowsFiftyAtATime_AndTheNextPageLinkKeepsTheFilter()
    {
        for (var i = 0; i < 53; i++)
        {
            await QueueAsync($"case-console-{i:00}", 1000 + i);
        }

        using var http = await _server.SignedInClientAsync("reviewer");
        var first = await http.GetStringAsync($"/workflows/{RunningServer.Workflow}/reviews?status=open", Ct);
        var firstRows = QueueRow().Matches(first).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(50, firstRows.Count);
        var next = WebUtility.HtmlDecode(NextPageLink().Match(first).Groups[1].Value);
        Assert.StartsWith($"/workflows/{RunningServer.Workflow}/reviews?status=open&after=", next, StringComparison.Ordinal);

        var second = await http.GetStringAsync(next, Ct);
        var secondRows = QueueRow().Matches(second).Select(m => m.Groups[1].Value).ToList();
        Assert.Empty(firstRows.Intersect(secondRows));
        Assert.Contains("case-console-52", secondRows);
        Assert.DoesNotContain("id=\"next-page\"", second, StringComparison.Ordinal);
        Assert.Contains("id=\"first-page\"", second, StringComparison.Ordinal);

        using var bad = await http.GetAsync($"/workflows/{RunningServer.Workflow}/reviews?status=open&after=garbage!", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
