using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Skybridge.Server.Hosting;

/// <summary>
/// The plain-text log: one line per entry (<c>HH:mm:ss level: category[event] message</c>) in which control and
/// formatting characters are escaped (<c>\r</c>, <c>\n</c>, <c>\u001B</c>...). Logged values come from requests (a
/// workflow id in a path, a name in a form), and raw they could forge log lines or drive the reader's terminal.
/// </summary>
internal sealed class PlainLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "skybridge-plain";

    public PlainLogFormatter()
        : base(FormatterName)
    {
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var line = new StringBuilder(128);
        line.Append(DateTime.UtcNow.ToString("HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(Level(logEntry.LogLevel)).Append(": ")
            .Append(Escape(logEntry.Category)).Append('[').Append(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture)).Append("] ")
            .Append(Escape(message ?? ""));
        if (logEntry.Exception is not null)
        {
            line.Append(' ').Append(Escape(logEntry.Exception.ToString()));
        }

        textWriter.Write(line.Append(Environment.NewLine).ToString());
    }

    /// <summary>The text with every control, format and line/paragraph separator character written as an escape.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!NeedsEscape(c))
            {
                escaped.Append(c);
                continue;
            }

            escaped.Append(c switch
            {
                '\r' => "\\r",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
            });
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) => char.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
