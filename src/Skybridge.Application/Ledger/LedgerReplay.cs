using System.Text;
using System.Text.Json;
using Skybridge.Core.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Ledger;

/// <summary>One step of a case's timeline.</summary>
public sealed record ReplayStep(
    long Sequence, string Time, string Type, IReadOnlyList<string> Actors, string Summary, JsonElement Event, bool ProofChecked, bool ProofVerified);

/// <summary>A case's chain of custody, in order, with the checkpoint its proofs were checked against.</summary>
public sealed record LedgerReplayResult(string CaseId, long? CheckpointSize, IReadOnlyList<ReplayStep> Steps)
{
    /// <summary>The names of the trusted ledger keys whose signatures on that checkpoint verified.</summary>
    public IReadOnlyList<string> CheckpointSignedBy { get; init; } = [];

    /// <summary>
    /// A checkpoint is stored but no trusted ledger key signed it (or it is not a checkpoint): nothing was checked
    /// against it, and the steps say their proofs were not checked.
    /// </summary>
    public bool NewestCheckpointUnverified { get; init; }
}

/// <summary>
/// Rebuilds what happened in one case: who started it through which agents, what was retrieved, asked and answered,
/// which rules decided, who approved, what ran, when. Each event is re-hashed from its stored bytes and proven to be
/// in the newest signed checkpoint, whose signature is checked first.
/// </summary>
public sealed class LedgerReplay
{
    private readonly ILedgerStore _store;
    private readonly LedgerService _ledger;
    private readonly ILedger? _writer;

    /// <param name="store">Where the ledger lives.</param>
    /// <param name="ledger">Checkpoints and proofs.</param>
    /// <param name="writer">This node's append path, flushed before reading so the trail has what the node accepted.</param>
    public LedgerReplay(ILedgerStore store, LedgerService ledger, ILedger? writer = null)
    {
        _store = store;
        _ledger = ledger;
        _writer = writer;
    }

    public async Task<LedgerReplayResult> ReplayAsync(string caseId, CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var events = await _store.ReadLedgerCaseAsync(caseId, cancellationToken).ConfigureAwait(false);
        var (checkpoint, signers, unverified) = await SignedCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var steps = new List<ReplayStep>(events.Count);
        foreach (var e in events)
        {
            var proofChecked = checkpoint is not null && e.Sequence < checkpoint.Size;
            var verified = false;
            if (proofChecked)
            {
                var proof = await _ledger.InclusionProofAsync(e.Sequence, checkpoint!.Size, cancellationToken).ConfigureAwait(false);
                var leaf = MerkleHash.Leaf(Encoding.UTF8.GetBytes(e.Body));
                verified = proof is not null && MerkleTree.VerifyInclusion(e.Sequence, checkpoint.Size, leaf, proof.Proof.Select(Convert.FromHexString).ToList(), checkpoint.RootHash);
            }

            using var doc = JsonDocument.Parse(e.Body);
            var root = doc.RootElement.Clone();
            steps.Add(new ReplayStep(e.Sequence, Text(root, "time"), e.Type, Actors(root), Summary(root), root, proofChecked, verified));
        }

        return new LedgerReplayResult(caseId, checkpoint?.Size, steps) { CheckpointSignedBy = signers, NewestCheckpointUnverified = unverified };
    }

    private async Task<(Checkpoint? Checkpoint, IReadOnlyList<string> SignedBy, bool Unverified)> SignedCheckpointAsync(CancellationToken cancellationToken)
    {
        var latest = await _ledger.LatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (latest is null)
        {
            return (null, [], false);
        }

        var keys = await _ledger.StoredKeysAsync(cancellationToken).ConfigureAwait(false);
        var verification = SignedNote.Verify(latest.Note, keys);
        return verification.IsVerified && Checkpoint.TryParseBody(verification.Body!, out var checkpoint)
            ? (checkpoint, verification.VerifiedKeyNames, false)
            : (null, [], true);
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static IReadOnlyList<string> Actors(JsonElement e) =>
        e.TryGetProperty("actors", out var actors) && actors.ValueKind == JsonValueKind.Array
            ? actors.EnumerateArray().Select(a => $"{Text(a, "kind")}:{Text(a, "id")}").ToList()
            : [];

    private static string Summary(JsonElement e)
    {
        var parts = new List<string>();
        if (e.TryGetProperty("resource", out var r))
        {
            parts.Add($"{Text(r, "kind")} {Text(r, "id")}");
        }

        if (Text(e, "outcome") is { Length: > 0 } outcome)
        {
            parts.Add(outcome);
        }

        if (e.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array)
        {
            parts.Add("rules: " + string.Join(", ", rules.EnumerateArray().Select(x => x.GetString())));
        }

        return string.Join(" · ", parts);
    }
}
