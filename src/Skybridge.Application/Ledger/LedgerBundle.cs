using System.Text.Json;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Verification;

namespace Skybridge.Application.Ledger;

/// <summary>Offline verification of an export bundle: no server, no database, only the bundle and public keys.</summary>
public static class LedgerBundle
{
    /// <summary>The bundle format name written by export and required by verify.</summary>
    public const string Format = "skybridge-ledger-bundle/1";

    /// <summary>
    /// Checks a bundle. <paramref name="trustedKeys"/> are the public keys to trust; when empty the bundle's own
    /// keys are used (which proves integrity, not authorship: pass the published key for that).
    /// </summary>
    public static LedgerAuditResult Verify(Stream bundle, IReadOnlyList<LedgerVerifierKey> trustedKeys)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bundle);
        }
        catch (JsonException ex)
        {
            return Malformed($"The bundle is not complete JSON (truncated or corrupt): {ex.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                return Malformed($"This is not a Skybridge ledger bundle (expected format '{Format}').");
            }

            if (!root.TryGetProperty("origin", out var originElement) || originElement.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("checkpoints", out var checkpoints) || checkpoints.ValueKind != JsonValueKind.Array)
            {
                return Malformed("The bundle lacks its origin, events or checkpoints.");
            }

            var keys = new List<LedgerVerifierKey>(trustedKeys);
            if (keys.Count == 0 && root.TryGetProperty("keys", out var bundled) && bundled.ValueKind == JsonValueKind.Array)
            {
                foreach (var k in bundled.EnumerateArray())
                {
                    if (k.GetString() is { } text && LedgerVerifierKey.TryParse(text, out var key) && key is not null)
                    {
                        keys.Add(key);
                    }
                }
            }

            var notes = new List<string>();
            foreach (var c in checkpoints.EnumerateArray())
            {
                if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("note", out var note) || note.GetString() is not { } text)
                {
                    return Malformed("A checkpoint in the bundle has no signed note.");
                }

                notes.Add(text);
            }

            if (notes.Count == 0)
            {
                return Malformed("The bundle has no checkpoint: nothing signed to verify against.");
            }

            var auditor = new LedgerAuditor(originElement.GetString(), keys, notes);
            long sequence = 0;
            foreach (var e in events.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    return Malformed($"Event {sequence} in the bundle is not a string.");
                }

                if (!auditor.Add(sequence++, e.GetString()!, null))
                {
                    break;
                }
            }

            return auditor.Finish();
        }
    }

    private static LedgerAuditResult Malformed(string detail) =>
        new(false, 0, 0, [], new LedgerProblem(LedgerProblemKind.Malformed, null, detail));
}
