using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tokens;

/// <summary>Writes refused token, introspection and revocation requests into the ledger (never a token or an assertion).</summary>
internal sealed class TokenRefusals(ILedger ledger)
{
    public Task RecordAsync(string? grantType, TokenRefusal refusal, CancellationToken cancellationToken) =>
        ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.TokenRefused,
            Actors = [LedgerActor.Agent(refusal.ClientId ?? "unauthenticated")],
            WorkflowId = refusal.Workflow,
            Outcome = refusal.Error.Code,
            Content = new JsonObject
            {
                ["grant_type"] = grantType is { Length: <= 100 } ? grantType : null,
                ["reason"] = refusal.Error.Description,
                ["jkt"] = refusal.KeyThumbprint,
            },
        }, cancellationToken);
}
