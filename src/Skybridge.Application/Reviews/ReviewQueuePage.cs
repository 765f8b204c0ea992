using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Skybridge.Storage;

namespace Skybridge.Application.Reviews;

/// <summary>A page of the review queue and the cursor of the next one (null on the last page).</summary>
/// <param name="Items">The page's items, in queue order (due time, then case id).</param>
/// <param name="Next">The opaque cursor that continues after the last item, or null when nothing follows.</param>
public sealed record ReviewQueuePage(IReadOnlyList<StoredReviewItem> Items, string? Next);

/// <summary>
/// Paging of the review queue: sizes, and the opaque cursor (an item's place in the queue's order, base64url-encoded).
/// A cursor names a place, not an offset, so items queued while a reader pages do not shift what it has yet to read.
/// </summary>
public static class ReviewQueuePaging
{
    /// <summary>Items a page holds unless the caller asks for another number.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Most items one page holds.</summary>
    public const int MaxLimit = 200;

    /// <summary>Stable code of a cursor that was not made by this server (or was altered).</summary>
    public const string InvalidCursor = "invalid_cursor";

    /// <summary>Stable code of a page size outside 1..<see cref="MaxLimit"/>.</summary>
    public const string InvalidLimit = "invalid_limit";

    private const string Version = "q1";

    /// <summary>The cursor continuing after <paramref name="item"/>.</summary>
    public static string Cursor(StoredReviewItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var micros = (item.DueAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}:{micros}:{item.CaseId}")));
    }

    /// <summary>Reads a cursor back; false for anything this server would not have made.</summary>
    public static bool TryParse(string? cursor, out ReviewQueueKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 512)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(bytes).Split(':', 3);
        if (parts.Length != 3 || parts[0] != Version || parts[2].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10)
        {
            return false;
        }

        key = new ReviewQueueKey(new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (micros * 10), TimeSpan.Zero), parts[2]);
        return true;
    }
}
