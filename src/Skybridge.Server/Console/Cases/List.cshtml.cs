using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Application.Access;
using Skybridge.Application.Cases;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Cases;

/// <summary>
/// A workflow's cases, newest first, a page at a time (keyset paging: the link to the next page carries the last
/// case's time and id), filtered by what happened to them. Each row: the case, when, who submitted it, whether the
/// draft answered, and its actions with their statuses.
/// </summary>
public sealed class ListModel : PageModel
{
    /// <summary>Cases per page.</summary>
    public const int PageSize = 25;

    /// <summary>The filters by their query value, in the order the page offers them.</summary>
    public static readonly IReadOnlyList<(string Value, CaseFilter Filter, string Label)> Filters =
    [
        ("", CaseFilter.All, "All"),
        ("answered", CaseFilter.Answered, "Answered"),
        ("abstained", CaseFilter.Abstained, "Abstained"),
        ("pending", CaseFilter.PendingApproval, "Has a pending approval"),
        ("executed", CaseFilter.Executed, "Has an executed action"),
    ];

    private readonly AccessService _access;
    private readonly CaseViews _cases;

    public ListModel(AccessService access, CaseViews cases)
    {
        _access = access;
        _cases = cases;
    }

    public string WorkflowId { get; private set; } = "";

    /// <summary>The filter's query value ("" for all).</summary>
    public string Status { get; private set; } = "";

    public bool IsFirstPage { get; private set; }

    public CaseListPage Cases { get; private set; } = new([], null);

    public async Task<IActionResult> OnGetAsync(string id, [FromQuery] string? status, [FromQuery] string? before, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadCase, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        var filter = Filters.FirstOrDefault(f => f.Value == (status ?? ""));
        if (filter.Label is null)
        {
            return BadRequest();
        }

        CaseCursor? cursor = null;
        if (!string.IsNullOrEmpty(before))
        {
            cursor = ParseCursor(before);
            if (cursor is null)
            {
                return BadRequest();
            }
        }

        WorkflowId = id;
        Status = filter.Value;
        IsFirstPage = cursor is null;
        Cases = await _cases.ListAsync(id, filter.Filter, cursor, PageSize, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    /// <summary>The query value of a cursor: the case's time in microseconds since the Unix epoch, a colon, its id.</summary>
    public static string FormatCursor(CaseCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        return ((cursor.CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10).ToString(CultureInfo.InvariantCulture) + ":" + cursor.Id;
    }

    private static CaseCursor? ParseCursor(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && long.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
               && micros < (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10
            ? new CaseCursor(new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero), value[(colon + 1)..])
            : null;
    }

    /// <summary>The link to this list with <paramref name="status"/> and <paramref name="before"/>.</summary>
    public string Link(string status, CaseCursor? before)
    {
        var query = new List<string>();
        if (status.Length > 0)
        {
            query.Add("status=" + Uri.EscapeDataString(status));
        }

        if (before is not null)
        {
            query.Add("before=" + Uri.EscapeDataString(FormatCursor(before)));
        }

        return $"/workflows/{Uri.EscapeDataString(WorkflowId)}/cases" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
    }
}
