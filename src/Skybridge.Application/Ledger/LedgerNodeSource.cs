using Skybridge.Core.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>
/// Feeds proof generation from the store: leaf hashes are read in blocks of 256 (one query each), and perfect
/// subtrees of 256, 65,536... leaves come from stored rows, so a proof at ten million events costs a few queries.
/// One instance serves one proof; it caches what it read.
/// </summary>
internal sealed class LedgerNodeSource : IMerkleRangeSource
{
    private const int Block = 1 << LedgerWriter.StoredLevelStep;
    private readonly ILedgerStore _store;
    private readonly long _treeSize;
    private readonly Dictionary<(int Level, long Block), IReadOnlyList<byte[]>> _blocks = [];

    public LedgerNodeSource(ILedgerStore store, long treeSize)
    {
        _store = store;
        _treeSize = treeSize;
    }

    public byte[] LeafHash(long index) => Get(0, index);

    public bool TryGetPerfectSubtree(int level, long index, out byte[] hash)
    {
        if (level == 0 || level % LedgerWriter.StoredLevelStep != 0 || ((index + 1) << level) > _treeSize)
        {
            hash = [];
            return false;
        }

        hash = Get(level, index);
        return hash.Length > 0;
    }

    private byte[] Get(int level, long index)
    {
        var block = index / Block;
        if (!_blocks.TryGetValue((level, block), out var hashes))
        {
            // Proof generation is synchronous math; the reads are short indexed range scans.
            hashes = level == 0
                ? _store.ReadLeafHashesAsync(block * Block, (block + 1) * Block).GetAwaiter().GetResult()
                : _store.ReadSubtreesAsync(level, block * Block, (block + 1) * Block).GetAwaiter().GetResult();
            _blocks[(level, block)] = hashes;
        }

        var offset = (int)(index - (block * Block));
        return offset < hashes.Count ? hashes[offset] : [];
    }
}
