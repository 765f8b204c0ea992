using System.Text;
using Skybridge.Core.Ledger;

namespace Skybridge.Storage.Tests.Support;

/// <summary>One ledger event appended through a store's one append path, as the tests of the store's areas need it.</summary>
internal static class LedgerAppends
{
    /// <summary>
    /// Appends one event made by <paramref name="make"/> from the sequence number it gets (its id, type, workflow, case,
    /// time and body; the leaf hash is the body's), with <paramref name="rows"/> of other areas in the same transaction.
    /// </summary>
    public static Task<LedgerHead> AppendOneAsync(ISkybridgeStore store,
        Func<long, (string Id, string Type, string? Workflow, string? Case, DateTimeOffset At, string Body)> make,
        CancellationToken cancellationToken, params RecordedRow[] rows) =>
        store.AppendLedgerAsync(head =>
        {
            var frontier = MerkleFrontier.FromHashes(head.Size, head.Frontier);
            var e = make(frontier.Size);
            var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(e.Body));
            var stored = new StoredLedgerEvent(frontier.Size, e.Id, e.Type, e.Workflow, e.Case, e.At, e.Body, leaf);
            frontier.Append(leaf, (_, _, _) => { });
            return new LedgerWrite([stored], [], head with { Size = frontier.Size, Frontier = frontier.Hashes }) { Rows = rows };
        }, cancellationToken);
}
