using System.Diagnostics;

namespace Skybridge.Cli;

/// <summary>
/// Phase timings on standard error when <c>SKYBRIDGE_PROFILE=1</c>: where a command's time goes (process start and
/// start-up JIT, reading, indexing, the model, the answer), without a profiler. Off by default: nothing is measured.
/// </summary>
internal sealed class CliProfile
{
    private readonly TextWriter _error;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;

    private CliProfile(TextWriter error) => _error = error;

    /// <summary>A profile writing to the command's standard error, or null when $SKYBRIDGE_PROFILE is not set.</summary>
    public static CliProfile? FromEnvironment(CliIo io)
    {
        if (io.Environment("SKYBRIDGE_PROFILE") is not ("1" or "true"))
        {
            return null;
        }

        var profile = new CliProfile(io.Error);
        // From the process's start to now: the runtime's start, loading assemblies, JIT of start-up and argument parsing.
        using var process = Process.GetCurrentProcess();
        profile.Write("process start to command", DateTime.Now - process.StartTime);
        return profile;
    }

    /// <summary>Ends a phase: prints its name and the time since the previous one.</summary>
    public void Done(string phase)
    {
        var now = _clock.Elapsed;
        Write(phase, now - _last);
        _last = now;
    }

    private void Write(string phase, TimeSpan took) =>
        _error.WriteLine($"profile: {phase,-32} {took.TotalMilliseconds,8:F1} ms");
}
