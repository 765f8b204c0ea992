namespace Skybridge.Server.Hosting;

/// <summary>
/// How many client connections a node holds open at once. Every connection is a file descriptor, and so is the
/// database, its write-ahead log, the log files and each connection a connector opens to a system of record: a node
/// that lets clients take every descriptor can no longer open its database, and the process fails with nothing
/// recorded. Past the limit Kestrel closes new connections at once (and logs it), while the node keeps serving the
/// connections it holds.
/// </summary>
public static class ConnectionLimit
{
    /// <summary>The limit when the process's open-file limit cannot be read (not Linux).</summary>
    public const int Fallback = 10_000;

    /// <summary>The least the default ever is, however low the open-file limit.</summary>
    public const int Minimum = 64;

    /// <summary>
    /// Three quarters of the process's open-file limit (<c>Max open files</c> in <c>/proc/self/limits</c>, as raised by
    /// the runtime at start), the rest kept for the store, logs and connectors; <see cref="Fallback"/> when it cannot be read.
    /// </summary>
    public static int Default() => FromLimits(ReadLimits());

    /// <summary>The default for the text of a <c>/proc/self/limits</c> file (null: not available).</summary>
    public static int FromLimits(string? limits)
    {
        var soft = OpenFilesSoftLimit(limits);
        return soft is null ? Fallback : (int)Math.Clamp(soft.Value / 4 * 3, Minimum, int.MaxValue);
    }

    private static long? OpenFilesSoftLimit(string? limits)
    {
        if (limits is null)
        {
            return null;
        }

        // "Max open files            20000                20000                files"
        foreach (var line in limits.Split('\n'))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }

        return null;
    }

    private static string? ReadLimits()
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText("/proc/self/limits") : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
