using System.Text;
using BenchmarkDotNet.Attributes;
using Skybridge.Core.Ledger;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// An inclusion proof at ten million events, served from the SQLite store (leaf blocks and stored subtrees).
/// The ledger is built once into SKYBRIDGE_BENCH_LEDGER_DIR (default /tmp/skybridge-bench-10m) and reused.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class LedgerProofBenchmarks
{
    private const long Size = 10_000_000;
    private ISkybridgeStore _store = null!;
    private LedgerService _service = null!;
    private long[] _indexes = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var folder = Environment.GetEnvironmentVariable("SKYBRIDGE_BENCH_LEDGER_DIR") ?? Path.Combine(Path.GetTempPath(), "skybridge-bench-10m");
        _store = SkybridgeStores.OpenSqlite(folder);
        _store.MigrateAsync().GetAwaiter().GetResult();
        while (_store.GetLedgerHeadAsync().GetAwaiter().GetResult().Size < Size)
        {
            _store.AppendLedgerAsync(head =>
            {
                // Small synthetic events: proof cost depends on the tree, not on event size.
                var count = (int)Math.Min(100_000, Size - head.Size);
                var frontier = MerkleFrontier.FromHashes(head.Size, head.Frontier);
                var events = new List<StoredLedgerEvent>(count);
                var subtrees = new List<StoredSubtree>();
                for (var i = 0; i < count; i++)
                {
                    var body = "{\"seq\":" + frontier.Size + "}";
                    var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(body));
                    events.Add(new StoredLedgerEvent(frontier.Size, frontier.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "bench", null, null, DateTimeOffset.UnixEpoch, body, leaf));
                    frontier.Append(leaf, (level, index, hash) =>
                    {
                        if (level % LedgerWriter.StoredLevelStep == 0)
                        {
                            subtrees.Add(new StoredSubtree(level, index, hash));
                        }
                    });
                }

                return new LedgerWrite(events, subtrees, head with { Size = frontier.Size, Frontier = frontier.Hashes });
            }).GetAwaiter().GetResult();
        }

        _service = new LedgerService(_store, TimeProvider.System, null);
        var random = new Random(42);
        _indexes = Enumerable.Range(0, 1024).Select(_ => random.NextInt64(Size)).ToArray();
    }

    [Benchmark]
    public async Task<InclusionProofResult?> InclusionProofAt10M() =>
        await _service.InclusionProofAsync(_indexes[_next++ & 1023], Size, default);

    [GlobalCleanup]
    public void Cleanup() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
