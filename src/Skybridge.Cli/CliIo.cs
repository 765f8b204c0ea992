using Spectre.Console;

namespace Skybridge.Cli;

/// <summary>The terminal a command talks to. Tests pass string writers; the program passes the console.</summary>
internal sealed class CliIo
{
    public CliIo(TextWriter output, TextWriter error, TextReader input, bool inputRedirected)
    {
        Output = output;
        Error = error;
        Input = input;
        InputRedirected = inputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
        });
    }

    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public TextReader Input { get; }
    public bool InputRedirected { get; }

    /// <summary>
    /// The environment variables a command reads for its caches and profile ($SKYBRIDGE_CACHE, $SKYBRIDGE_PROFILE): the
    /// process's own by default. A test gives its run variables of its own, so that it never changes them for the tests
    /// running beside it in the same process.
    /// </summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Spectre console over <see cref="Output"/> for tables and colour.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Writes an error line to standard error: <c>error: ...</c>, with a hint line when given.</summary>
    public void Fail(string message, string? hint = null)
    {
        Error.WriteLine($"error: {message}");
        if (hint is not null)
        {
            Error.WriteLine($"  hint: {hint}");
        }
    }
}

/// <summary>Exit codes shared by every command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Something failed at run time (store unreachable, port in use...).</summary>
    public const int Failed = 1;

    /// <summary>The input was wrong (invalid manifest, bad arguments, unknown names).</summary>
    public const int InvalidInput = 2;
}
