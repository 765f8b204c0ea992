using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using HelpdeskBilling.Access;
using Microsoft.Data.Sqlite;

namespace HelpdeskBilling.Store;

/// <summary>What a write answered: the status and body, replayed as they were when an idempotency key repeats.
/// Writes answer this or a <see cref="WriteError"/>.</summary>
internal sealed record WriteOutcome(int Status, object Body);

/// <summary>An expected refusal of a write (not found, closed, too much): a status and a stable code.</summary>
internal sealed record WriteError(int Status, string Code, string Message);

/// <summary>
/// The service's own store: one SQLite file in its data folder. Every write runs in one transaction with the record of
/// who made it (the token's sub, act chain and jti) and, when the caller sent one, its idempotency key, so a write and
/// its record and its key exist together or not at all.
/// </summary>
internal sealed class DeskStore(HelpdeskBillingOptions options, TimeProvider time)
{
    // One process owns the file: writes are serialised here, so a retry storm on one key sees one writer at a time.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(options.DataFolder, "helpdesk-billing.db"),
        Pooling = true,
    }.ToString();

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Creates the folder (owner-only), the schema, and the sample tickets and orders on first start.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(options.DataFolder);
        }
        else
        {
            Directory.CreateDirectory(options.DataFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await using var connection = Open();
        await connection.ExecuteAsync(new CommandDefinition(Schema, cancellationToken: cancellationToken));
        var tickets = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM tickets", cancellationToken: cancellationToken));
        if (tickets == 0)
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await SeedData.InsertAsync(connection, tx, time.GetUtcNow());
            await tx.CommitAsync(cancellationToken);
        }
    }

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS tickets (
            id TEXT PRIMARY KEY, customer TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
            status TEXT NOT NULL, queue TEXT NULL, order_id TEXT NULL, created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS orders (
            id TEXT PRIMARY KEY, customer TEXT NOT NULL, items TEXT NOT NULL, total_cents INTEGER NOT NULL,
            currency TEXT NOT NULL, placed_at TEXT NOT NULL);
        -- Who did what: one row per write, with the token it came with.
        CREATE TABLE IF NOT EXISTS writes (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, operation TEXT NOT NULL, target TEXT NOT NULL,
            subject TEXT NOT NULL, actor TEXT NULL, client_id TEXT NULL, token_id TEXT NOT NULL, idempotency_key TEXT NULL);
        CREATE TABLE IF NOT EXISTS replies (
            id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id TEXT NOT NULL REFERENCES tickets(id), body TEXT NOT NULL,
            write_id INTEGER NOT NULL REFERENCES writes(id));
        CREATE TABLE IF NOT EXISTS refunds (
            id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL REFERENCES orders(id), amount_cents INTEGER NOT NULL,
            currency TEXT NOT NULL, write_id INTEGER NOT NULL REFERENCES writes(id));
        -- An idempotency key is remembered with the request it came with and the answer it got.
        CREATE TABLE IF NOT EXISTS idempotency (
            operation TEXT NOT NULL, key TEXT NOT NULL, request_digest TEXT NOT NULL, status INTEGER NOT NULL,
            response TEXT NOT NULL, PRIMARY KEY (operation, key));
        """;

    // ---- reads ----------------------------------------------------------------------------------

    public async Task<object?> GetTicketAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var ticket = await connection.QuerySingleOrDefaultAsync<TicketRow>(new CommandDefinition(
            "SELECT id, customer, subject, body, status, queue, order_id AS OrderId, created_at AS CreatedAt FROM tickets WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (ticket is null)
        {
            return null;
        }

        var replies = await connection.QueryAsync<ReplyRow>(new CommandDefinition(
            "SELECT r.id, r.body, w.at, w.subject, w.actor, w.token_id AS TokenId FROM replies r JOIN writes w ON w.id = r.write_id WHERE r.ticket_id = @id ORDER BY r.id", new { id }, cancellationToken: cancellationToken));
        var history = await HistoryAsync(connection, id, cancellationToken);
        return new
        {
            ticket_id = ticket.Id, ticket.Customer, ticket.Subject, ticket.Body, ticket.Status, ticket.Queue, order_id = ticket.OrderId, created_at = ticket.CreatedAt,
            replies = replies.Select(r => new { reply_id = r.Id, r.Body, r.At, r.Subject, r.Actor, token_id = r.TokenId }),
            history,
        };
    }

    public async Task<object?> GetOrderAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        var order = await connection.QuerySingleOrDefaultAsync<OrderRow>(new CommandDefinition(
            "SELECT id, customer, items, total_cents AS TotalCents, currency, placed_at AS PlacedAt FROM orders WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (order is null)
        {
            return null;
        }

        var refunds = (await connection.QueryAsync<RefundRow>(new CommandDefinition(
            "SELECT r.id, r.amount_cents AS AmountCents, r.currency, w.at, w.subject, w.actor, w.token_id AS TokenId, w.idempotency_key AS IdempotencyKey " +
            "FROM refunds r JOIN writes w ON w.id = r.write_id WHERE r.order_id = @id ORDER BY r.id", new { id }, cancellationToken: cancellationToken))).ToList();
        return new
        {
            order_id = order.Id, order.Customer, order.Items, total = Money(order.TotalCents), order.Currency, placed_at = order.PlacedAt,
            refunded = Money(refunds.Sum(r => r.AmountCents)),
            refunds = refunds.Select(r => new
            {
                refund_id = RefundId(r.Id), amount = Money(r.AmountCents), r.Currency, r.At, r.Subject, r.Actor, token_id = r.TokenId, idempotency_key = r.IdempotencyKey,
            }),
            history = await HistoryAsync(connection, id, cancellationToken),
        };
    }

    private static async Task<IEnumerable<object>> HistoryAsync(SqliteConnection connection, string target, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<WriteRow>(new CommandDefinition(
            "SELECT operation, at, subject, actor, client_id AS ClientId, token_id AS TokenId FROM writes WHERE target = @target ORDER BY id", new { target }, cancellationToken: cancellationToken)))
        .Select(w => (object)new { w.Operation, w.At, w.Subject, w.Actor, client_id = w.ClientId, token_id = w.TokenId });

    // ---- writes ---------------------------------------------------------------------------------

    public Task<object> ReplyAsync(string ticketId, string body, string? key, Caller caller, CancellationToken cancellationToken) =>
        WriteAsync("reply", ticketId, Canonical(("ticket_id", ticketId), ("body", body)), key, caller, async (c, tx, writeId) =>
        {
            if (await TicketStatusAsync(c, tx, ticketId) is not { } status)
            {
                return TicketNotFound(ticketId);
            }

            if (status == "closed")
            {
                return new WriteError(409, "ticket_closed", $"Ticket {ticketId} is closed.");
            }

            var replyId = await c.ExecuteScalarAsync<long>(
                "INSERT INTO replies (ticket_id, body, write_id) VALUES (@ticketId, @body, @writeId) RETURNING id", new { ticketId, body, writeId }, tx);
            return new WriteOutcome(201, new { reply_id = replyId, ticket_id = ticketId, status });
        }, cancellationToken);

    public Task<object> CloseAsync(string ticketId, string? key, Caller caller, CancellationToken cancellationToken) =>
        WriteAsync("close", ticketId, Canonical(("ticket_id", ticketId)), key, caller, async (c, tx, _) =>
        {
            if (await TicketStatusAsync(c, tx, ticketId) is null)
            {
                return TicketNotFound(ticketId);
            }

            await c.ExecuteAsync("UPDATE tickets SET status = 'closed' WHERE id = @ticketId", new { ticketId }, tx);
            return new WriteOutcome(200, new { ticket_id = ticketId, status = "closed" });
        }, cancellationToken);

    public Task<object> EscalateAsync(string ticketId, string queue, string? key, Caller caller, CancellationToken cancellationToken) =>
        WriteAsync("escalate", ticketId, Canonical(("ticket_id", ticketId), ("queue", queue)), key, caller, async (c, tx, _) =>
        {
            if (await TicketStatusAsync(c, tx, ticketId) is not { } status)
            {
                return TicketNotFound(ticketId);
            }

            if (status == "closed")
            {
                return new WriteError(409, "ticket_closed", $"Ticket {ticketId} is closed.");
            }

            await c.ExecuteAsync("UPDATE tickets SET queue = @queue WHERE id = @ticketId", new { ticketId, queue }, tx);
            return new WriteOutcome(200, new { ticket_id = ticketId, queue });
        }, cancellationToken);

    public Task<object> RefundAsync(string orderId, long amountCents, string currency, string key, Caller caller, CancellationToken cancellationToken) =>
        WriteAsync("refund", orderId, Canonical(("order_id", orderId), ("amount", Money(amountCents).ToString(CultureInfo.InvariantCulture)), ("currency", currency)), key, caller, async (c, tx, writeId) =>
        {
            var order = await c.QuerySingleOrDefaultAsync<OrderTotal>(
                "SELECT total_cents AS TotalCents, currency FROM orders WHERE id = @orderId", new { orderId }, tx);
            if (order is null)
            {
                return new WriteError(404, "order_not_found", $"There is no order {orderId}.");
            }

            if (order.Currency != currency)
            {
                return new WriteError(422, "currency_mismatch", $"Order {orderId} was paid in {order.Currency}.");
            }

            var refunded = await c.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE order_id = @orderId", new { orderId }, tx);
            if (refunded + amountCents > order.TotalCents)
            {
                return new WriteError(422, "refund_exceeds_order",
                    $"Order {orderId} totals {Money(order.TotalCents)} {order.Currency}, {Money(refunded)} already refunded: at most {Money(order.TotalCents - refunded)} more.");
            }

            var id = await c.ExecuteScalarAsync<long>(
                "INSERT INTO refunds (order_id, amount_cents, currency, write_id) VALUES (@orderId, @amountCents, @currency, @writeId) RETURNING id", new { orderId, amountCents, currency, writeId }, tx);
            return new WriteOutcome(201, new { refund_id = RefundId(id), order_id = orderId, amount = Money(amountCents), currency, refunded_total = Money(refunded + amountCents) });
        }, cancellationToken);

    /// <summary>
    /// Runs one write in a transaction with its record and its idempotency key. A key seen before with the same request
    /// answers what it answered then (and writes nothing); with another request it is a conflict. A refused write
    /// (not found, closed...) leaves nothing behind, key included, so a corrected retry may reuse it.
    /// </summary>
    private async Task<object> WriteAsync(string operation, string target, string canonical, string? key, Caller caller,
        Func<SqliteConnection, SqliteTransaction, long, Task<object>> apply, CancellationToken cancellationToken)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(operation + "\n" + canonical)));
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = Open();
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            if (key is not null)
            {
                var seen = await connection.QuerySingleOrDefaultAsync<IdempotencyRow>(
                    "SELECT request_digest AS RequestDigest, status, response FROM idempotency WHERE operation = @operation AND key = @key", new { operation, key }, tx);
                if (seen is not null)
                {
                    return seen.RequestDigest == digest
                        ? new WriteOutcome((int)seen.Status, System.Text.Json.JsonDocument.Parse(seen.Response).RootElement.Clone())
                        : new WriteError(409, "idempotency_key_reused", $"Idempotency key already used for a different {operation} request.");
                }
            }

            var writeId = await connection.ExecuteScalarAsync<long>(
                "INSERT INTO writes (at, operation, target, subject, actor, client_id, token_id, idempotency_key) " +
                "VALUES (@at, @operation, @target, @Subject, @Actor, @ClientId, @TokenId, @key) RETURNING id",
                new { at = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture), operation, target, caller.Subject, caller.Actor, caller.ClientId, caller.TokenId, key }, tx);
            var result = await apply(connection, tx, writeId);
            if (result is not WriteOutcome outcome)
            {
                // Disposing the transaction uncommitted rolls the write record back with everything else.
                return result;
            }

            if (key is not null)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO idempotency (operation, key, request_digest, status, response) VALUES (@operation, @key, @digest, @Status, @response)",
                    new { operation, key, digest, outcome.Status, response = System.Text.Json.JsonSerializer.Serialize(outcome.Body) }, tx);
            }

            await tx.CommitAsync(cancellationToken);
            return outcome;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static async Task<string?> TicketStatusAsync(SqliteConnection c, SqliteTransaction tx, string ticketId) =>
        await c.QuerySingleOrDefaultAsync<string>("SELECT status FROM tickets WHERE id = @ticketId", new { ticketId }, tx);

    private static WriteError TicketNotFound(string ticketId) => new(404, "ticket_not_found", $"There is no ticket {ticketId}.");

    /// <summary>The request's parameters in one fixed order and form: what an idempotency key is bound to.</summary>
    private static string Canonical(params (string Name, string Value)[] fields) =>
        System.Text.Json.JsonSerializer.Serialize(fields.ToDictionary(f => f.Name, f => f.Value));

    public static decimal Money(long cents) => cents / 100m;

    private static string RefundId(long id) => "RF-" + id.ToString("D6", CultureInfo.InvariantCulture);

    private sealed record TicketRow(string Id, string Customer, string Subject, string Body, string Status, string? Queue, string? OrderId, string CreatedAt);
    private sealed record ReplyRow(long Id, string Body, string At, string Subject, string? Actor, string TokenId);
    private sealed record OrderRow(string Id, string Customer, string Items, long TotalCents, string Currency, string PlacedAt);
    private sealed record OrderTotal(long TotalCents, string Currency);

    private sealed record RefundRow(long Id, long AmountCents, string Currency, string At, string Subject, string? Actor, string TokenId, string? IdempotencyKey);
    private sealed record WriteRow(string Operation, string At, string Subject, string? Actor, string? ClientId, string TokenId);
    private sealed record IdempotencyRow(string RequestDigest, long Status, string Response);
}
