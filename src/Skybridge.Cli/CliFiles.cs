namespace Skybridge.Cli;

/// <summary>
/// Where a command is about to write a file, checked before its work: a mistyped path is then an error with its reason
/// and exit code 2, not a stack trace after minutes of evaluation or after a ledger checkpoint was signed for a bundle
/// that could not be written. The checks create nothing; the write itself can still fail later (a disk that fills up).
/// </summary>
internal static class CliFiles
{
    /// <summary>Why a new file at <paramref name="path"/> could not be written, or null when it could.</summary>
    public static string? CannotCreateFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return $"{full} is a folder";
        }

        var parent = Path.GetDirectoryName(full);
        return parent is null || !Directory.Exists(parent) ? $"the folder {parent} does not exist" : CannotWriteIn(parent);
    }

    /// <summary>
    /// Why files could not be written into <paramref name="folder"/>, or null when they could: the folder, or its nearest
    /// existing parent (the folder is created when the files are written), must be a folder this process can write in.
    /// </summary>
    public static string? CannotWriteInto(string folder)
    {
        var existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                return $"{existing} is a file, not a folder";
            }

            existing = Path.GetDirectoryName(existing);
            if (existing is null)
            {
                return "no part of the path exists";
            }
        }

        return CannotWriteIn(existing);
    }

    /// <summary>
    /// The text of the file at <paramref name="path"/>, or null once the reason is told on <paramref name="io"/> (the
    /// caller exits 2): a folder or a missing file is named as such, not in the runtime's words ("Access to the path is
    /// denied" for a folder).
    /// </summary>
    public static async Task<string?> ReadTextAsync(string path, CliIo io, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var why = Directory.Exists(path) ? "it is a folder, not a file"
                : ex is FileNotFoundException or DirectoryNotFoundException ? "there is no such file"
                : ex.Message;
            io.Fail($"Cannot read {path}: {why}.");
            return null;
        }
    }

    private static string? CannotWriteIn(string folder)
    {
        try
        {
            using (File.Create(Path.Combine(folder, ".skybridge-write-check-" + Guid.NewGuid().ToString("N")), 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{folder} cannot be written in ({ex.Message})";
        }
    }
}
