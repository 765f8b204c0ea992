using System.Text;

namespace Skybridge.Core.Text;

/// <summary>
/// One <see cref="StringBuilder"/> kept per thread for the writers on the governed path (canonical JSON, ledger events,
/// call digests): a builder that has grown once, instead of a new one growing chunk by chunk for every proposal.
/// <see cref="Take"/> takes it out while in use, so a nested writer gets a builder of its own; <see cref="Keep"/> puts it
/// back empty, unless it grew past <see cref="MaxKept"/> characters (a large document's builder is left to the collector).
/// </summary>
internal static class ThreadBuilder
{
    /// <summary>The largest builder kept between uses.</summary>
    public const int MaxKept = 32 * 1024;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>This thread's builder, empty, or a new one of <paramref name="capacity"/>.</summary>
    public static StringBuilder Take(int capacity)
    {
        var builder = t_builder ?? new StringBuilder(capacity);
        t_builder = null;
        return builder;
    }

    /// <summary>Gives <paramref name="builder"/> back to this thread, emptied.</summary>
    public static void Keep(StringBuilder builder)
    {
        if (builder.Capacity <= MaxKept)
        {
            builder.Clear();
            t_builder = builder;
        }
    }
}
