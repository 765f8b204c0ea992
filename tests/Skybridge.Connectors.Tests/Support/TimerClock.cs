using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Skybridge.Connectors.Tests.Support;

/// <summary>
/// A fake clock that tells when a timer is started, so a test moves time exactly when the code under test waits,
/// instead of sleeping.
/// </summary>
public sealed class TimerClock : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public TimerClock() : base(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>
    /// Runs <paramref name="work"/> to its end, moving the clock over every wait shorter than <paramref name="below"/>
    /// (the retry delays; attempt timeouts are longer and are never reached). Returns the waits it moved over.
    /// </summary>
    public async Task<(T Result, List<TimeSpan> Waits)> RunAsync<T>(Task<T> work, TimeSpan below)
    {
        var waits = new List<TimeSpan>();
        while (true)
        {
            var next = _timers.Reader.ReadAsync().AsTask();
            if (await Task.WhenAny(work, next) == work)
            {
                return (await work, waits);
            }

            var due = await next;
            if (due > TimeSpan.Zero && due < below)
            {
                waits.Add(due);
                Advance(due);
            }
        }
    }
}
