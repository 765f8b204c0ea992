using System.Collections.Concurrent;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens;

/// <summary>
/// Remembers one-time ids (DPoP proof <c>jti</c> per key, client assertion <c>jti</c> per client) for as long as
/// the thing they belong to could still be accepted anywhere. Forgetting earlier reopens a replay window.
/// </summary>
public interface IReplayGuard
{
    /// <summary>True the first time <paramref name="key"/> is used; false for a replay before <paramref name="keepUntil"/>.</summary>
    ValueTask<bool> TryUseOnceAsync(string key, DateTimeOffset keepUntil, CancellationToken cancellationToken);
}

/// <summary>The replay guard of a single node (the SQLite default): in memory, swept of expired ids as it goes.</summary>
public sealed class MemoryReplayGuard : IReplayGuard
{
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _nextSweep;

    /// <summary>A guard reading the clock from <paramref name="time"/>.</summary>
    public MemoryReplayGuard(TimeProvider time) => _time = time;

    /// <summary>Ids remembered right now.</summary>
    public int Count => _seen.Count;

    /// <inheritdoc />
    public ValueTask<bool> TryUseOnceAsync(string key, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcTicks;
        Sweep(now);
        var until = keepUntil.UtcTicks;
        while (true)
        {
            if (_seen.TryAdd(key, until))
            {
                return ValueTask.FromResult(true);
            }

            // An entry whose window has closed may be taken over; a live one means a replay.
            if (!_seen.TryGetValue(key, out var existing) || existing > now)
            {
                return ValueTask.FromResult(false);
            }

            if (_seen.TryUpdate(key, until, existing))
            {
                return ValueTask.FromResult(true);
            }
        }
    }

    private void Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + TimeSpan.TicksPerSecond * 10, next) != next)
        {
            return;
        }

        foreach (var (key, until) in _seen)
        {
            if (until <= now)
            {
                _seen.TryRemove(new KeyValuePair<string, long>(key, until));
            }
        }
    }
}

/// <summary>The replay guard of several nodes (PostgreSQL): one table, so a proof used on one node is refused on all.</summary>
public sealed class StoreReplayGuard : IReplayGuard
{
    private readonly ITokenStore _store;
    private readonly TimeProvider _time;

    /// <summary>A guard over the shared store.</summary>
    public StoreReplayGuard(ITokenStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryUseOnceAsync(string key, DateTimeOffset keepUntil, CancellationToken cancellationToken) =>
        await _store.TryUseOnceAsync(key, keepUntil, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
}
