using System.Text;
using BenchmarkDotNet.Attributes;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Ledger.Verification;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// Durable appends through the group-committing writer: 20,000 concurrent callers per operation, each answered
/// only after its transaction committed. PostgreSQL runs when SKYBRIDGE_BENCH_POSTGRES holds a connection string.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class LedgerAppendBenchmarks
{
    private const int Events = 20_000;
    private string? _folder;
    private ISkybridgeStore _store = null!;
    private LedgerWriter _writer = null!;

    [Params("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        if (Store == "postgres")
        {
            var connection = Environment.GetEnvironmentVariable("SKYBRIDGE_BENCH_POSTGRES")
                ?? throw new InvalidOperationException("Set SKYBRIDGE_BENCH_POSTGRES to a connection string of an empty database.");
            _store = SkybridgeStores.OpenPostgres(connection);
        }
        else
        {
            _folder = Path.Combine(Path.GetTempPath(), "skybridge-bench-" + Guid.NewGuid().ToString("N"));
            _store = SkybridgeStores.OpenSqlite(_folder);
        }

        _store.MigrateAsync().GetAwaiter().GetResult();
        _writer = new LedgerWriter(_store, TimeProvider.System, "bench");
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task Append()
    {
        var tasks = new Task[Events];
        for (var i = 0; i < Events; i++)
        {
            tasks[i] = _writer.AppendAsync(Sample.Entry(i));
        }

        await Task.WhenAll(tasks);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>Full verification speed: re-hash and re-derive the tree of 500,000 recorded events against a signed checkpoint.</summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class LedgerVerifyBenchmarks
{
    private const int Events = 500_000;
    private string[] _bodies = [];
    private byte[][] _leaves = [];
    private List<(long, string, byte[]?)>[] _pages = [];
    private string _note = "";
    private LedgerVerifierKey _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        var frontier = MerkleFrontier.FromHashes(0, []);
        _bodies = new string[Events];
        _leaves = new byte[Events][];
        var time = DateTimeOffset.UtcNow;
        for (var i = 0; i < Events; i++)
        {
            var recorded = LedgerEventFormat.Record(Sample.Entry(i), i, time, "bench");
            _bodies[i] = recorded.CanonicalJson;
            _leaves[i] = recorded.LeafHash();
            frontier.Append(_leaves[i]);
        }

        // Pages as `ledger verify` reads them from the store: 65,536 events.
        _pages = Enumerable.Range(0, Events).Chunk(65_536)
            .Select(chunk => chunk.Select(i => ((long)i, _bodies[i], (byte[]?)_leaves[i])).ToList())
            .ToArray();
        var signer = LedgerSigner.Generate("bench.ledger/0001");
        _key = signer.PublicKey;
        _note = signer.Sign(new Checkpoint("bench.ledger/0001", Events, frontier.Root()).ToBody());
    }

    /// <summary>The audit as <c>ledger verify</c> runs it: pages of 65,536, hashing spread over the cores.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public bool VerifyPages()
    {
        var auditor = new LedgerAuditor("bench.ledger/0001", [_key], [_note]);
        foreach (var page in _pages)
        {
            auditor.AddRange(page);
        }

        return auditor.Finish().Verified;
    }

    /// <summary>One event at a time on one core, for comparison.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public bool Verify()
    {
        var auditor = new LedgerAuditor("bench.ledger/0001", [_key], [_note]);
        for (var i = 0; i < Events; i++)
        {
            auditor.Add(i, _bodies[i], _leaves[i]);
        }

        return auditor.Finish().Verified;
    }
}

/// <summary>Events shaped like real ones: an actor chain, a resource with fields, a rule, input digests.</summary>
internal static class Sample
{
    public static LedgerEntry Entry(int i) => new()
    {
        Type = "policy.decided",
        Actors = [LedgerActor.Human("maria.lopez"), LedgerActor.Agent("support-desk/responder")],
        WorkflowId = "support-desk",
        WorkflowVersion = 3,
        CaseId = "case-" + (i / 8).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Resource = new LedgerResource("action", "refund", ["order_id", "amount"]),
        Rules = ["refund-small"],
        Outcome = "allow",
        InputHashes = new Dictionary<string, string> { ["arguments"] = LedgerEntry.Digest("order " + i.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
    };
}
