using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Skybridge.Core.Access;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

using Skybridge.Application.Access;

using Skybridge.Server.Authentication;

namespace Skybridge.Server.Endpoints;

internal static class LedgerEndpoints
{
    public static void MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        // Checkpoints, keys and proofs carry only hashes: anyone signed in may fetch them. Events need more (below).
        var group = app.MapGroup("/api/ledger").WithTags("ledger").AddEndpointFilter(async (context, next) =>
            PeopleSignIn.UserName(context.HttpContext.User) is null
                ? ApiProblems.For(AccessVerdict.Unauthenticated)
                : await next(context).ConfigureAwait(false));

        group.MapGet("/checkpoint", async (HttpContext context, LedgerService ledger) =>
        {
            var checkpoint = await ledger.LatestCheckpointAsync(context.RequestAborted).ConfigureAwait(false);
            return checkpoint is null
                ? ApiProblems.Problem(StatusCodes.Status404NotFound, "no_checkpoint", "The ledger has no signed checkpoint yet.")
                : Results.Text(checkpoint.Note, "text/plain; charset=utf-8");
        }).WithSummary("The newest signed checkpoint, as a C2SP signed note (text/plain).");

        group.MapPost("/checkpoint", async (HttpContext context, LedgerService ledger) =>
        {
            var checkpoint = await ledger.CheckpointAsync(context.RequestAborted).ConfigureAwait(false);
            return checkpoint is null
                ? ApiProblems.Problem(StatusCodes.Status409Conflict, "empty_ledger", "The ledger is empty; there is nothing to sign.")
                : Results.Text(checkpoint.Note, "text/plain; charset=utf-8");
        }).RequirePermission(Permission.ReadLedgerEvents).WithSummary("Signs a checkpoint of the current head now (administrators).");

        group.MapGet("/keys", async (HttpContext context, ILedgerStore store) =>
            Results.Ok(await store.ListLedgerKeysAsync(context.RequestAborted).ConfigureAwait(false)))
            .WithSummary("Every public key that has signed checkpoints (C2SP verifier keys), oldest first.");

        group.MapGet("/proof/inclusion", async (long index, long size, HttpContext context, LedgerService ledger) =>
        {
            var proof = await ledger.InclusionProofAsync(index, size, context.RequestAborted).ConfigureAwait(false);
            return proof is null
                ? ApiProblems.Problem(StatusCodes.Status400BadRequest, "out_of_range", "Need 0 <= index < size <= the ledger's size.")
                : Results.Ok(proof);
        }).WithSummary("RFC 6962 inclusion proof of event `index` in the tree of `size` events.");

        group.MapGet("/proof/consistency", async (long from, long to, HttpContext context, LedgerService ledger) =>
        {
            var proof = await ledger.ConsistencyProofAsync(from, to, context.RequestAborted).ConfigureAwait(false);
            return proof is null
                ? ApiProblems.Problem(StatusCodes.Status400BadRequest, "out_of_range", "Need 1 <= from <= to <= the ledger's size.")
                : Results.Ok(proof);
        }).WithSummary("RFC 6962 consistency proof between two tree sizes.");

        group.MapGet("/events", async (long? from, int? limit, HttpContext context, ILedgerStore store, ILedger writer) =>
        {
            await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false); // what this node accepted is in the answer
            var events = await store.ReadLedgerEventsAsync(from ?? 0, Math.Clamp(limit ?? 100, 1, 1000), context.RequestAborted).ConfigureAwait(false);
            return Results.Ok(events.Select(e => new { sequence = e.Sequence, leafHash = Convert.ToHexStringLower(e.LeafHash), @event = System.Text.Json.JsonDocument.Parse(e.Body).RootElement }));
        }).RequirePermission(Permission.ReadLedgerEvents).WithSummary("Ledger events in order (administrators), each with its leaf hash.");
    }
}
