using System.Text.Json;
using System.Text.RegularExpressions;
using HelpdeskBilling.Access;
using HelpdeskBilling.Store;

namespace HelpdeskBilling;

/// <summary>
/// The HTTP surface: one POST per action of the support-desk manifest at <c>{connector endpoint}/{action}</c> with the
/// action's parameters as the JSON body, and reads for tests and the console. Every call is authenticated before its
/// body is even read.
/// </summary>
internal static partial class DeskEndpoints
{
    /// <summary>Scopes, one per kind of operation: a token that may reply may not refund.</summary>
    public const string HelpdeskRead = "helpdesk:read", HelpdeskWrite = "helpdesk:write", BillingRead = "billing:read", BillingRefund = "billing:refund";

    private static readonly string[] Queues = ["warranty", "logistics", "payments"];

    public static void MapDeskEndpoints(this WebApplication app)
    {
        app.MapGet("/helpdesk/tickets/{id}", (HttpContext http, string id, DeskStore store) =>
            Guarded(http, Audience.Helpdesk, HelpdeskRead, async (_, _) =>
                await store.GetTicketAsync(id, http.RequestAborted) is { } ticket ? Results.Ok(ticket) : Problem(404, "ticket_not_found", $"There is no ticket {id}.")));

        app.MapGet("/billing/orders/{id}", (HttpContext http, string id, DeskStore store) =>
            Guarded(http, Audience.Billing, BillingRead, async (_, _) =>
                await store.GetOrderAsync(id, http.RequestAborted) is { } order ? Results.Ok(order) : Problem(404, "order_not_found", $"There is no order {id}.")));

        app.MapPost("/helpdesk/reply", (HttpContext http, DeskStore store) =>
            Guarded(http, Audience.Helpdesk, HelpdeskWrite, async (caller, body) =>
            {
                var p = Parameters.Read(body, ["ticket_id", "body"]);
                var ticketId = p.Text("ticket_id", TicketPattern());
                var text = p.Text("body", null, maxLength: 20_000);
                return p.Error ?? Answer(await store.ReplyAsync(ticketId!, text!, IdempotencyKey(http), caller, http.RequestAborted));
            }));

        app.MapPost("/helpdesk/close", (HttpContext http, DeskStore store) =>
            Guarded(http, Audience.Helpdesk, HelpdeskWrite, async (caller, body) =>
            {
                var p = Parameters.Read(body, ["ticket_id"]);
                var ticketId = p.Text("ticket_id", TicketPattern());
                return p.Error ?? Answer(await store.CloseAsync(ticketId!, IdempotencyKey(http), caller, http.RequestAborted));
            }));

        app.MapPost("/helpdesk/escalate", (HttpContext http, DeskStore store) =>
            Guarded(http, Audience.Helpdesk, HelpdeskWrite, async (caller, body) =>
            {
                var p = Parameters.Read(body, ["ticket_id", "queue"]);
                var ticketId = p.Text("ticket_id", TicketPattern());
                var queue = p.Text("queue", null, oneOf: Queues);
                return p.Error ?? Answer(await store.EscalateAsync(ticketId!, queue!, IdempotencyKey(http), caller, http.RequestAborted));
            }));

        app.MapPost("/billing/refund", (HttpContext http, DeskStore store) =>
            Guarded(http, Audience.Billing, BillingRefund, async (caller, body) =>
            {
                // Money moves: a retry must never refund twice, so the key is not optional here.
                if (IdempotencyKey(http) is not { } key)
                {
                    return Problem(400, "idempotency_key_required", "A refund needs an Idempotency-Key header (1 to 255 visible ASCII characters).");
                }

                var p = Parameters.Read(body, ["order_id", "amount", "currency"]);
                var orderId = p.Text("order_id", OrderPattern());
                var cents = p.Cents("amount");
                var currency = p.Text("currency", null, oneOf: ["EUR"]);
                return p.Error ?? Answer(await store.RefundAsync(orderId!, cents!.Value, currency!, key, caller, http.RequestAborted));
            }));
    }

    private enum Audience { Helpdesk, Billing }

    /// <summary>Checks the token and its proof first; only then reads the body (at most 64 KiB of JSON) and runs.</summary>
    private static async Task<IResult> Guarded(HttpContext http, Audience audience, string scope, Func<Caller, JsonElement, Task<IResult>> run)
    {
        var services = http.RequestServices;
        var urls = services.GetRequiredService<ServiceUrls>();
        var (caller, refusal) = await services.GetRequiredService<TokenGate>().CheckAsync(
            http.Request, audience == Audience.Helpdesk ? urls.HelpdeskAudience : urls.BillingAudience, scope, http.RequestAborted);
        if (refusal is not null)
        {
            http.Response.Headers.WWWAuthenticate = refusal.Challenge;
            return Problem(refusal.Status, refusal.Error, refusal.Description);
        }

        var body = default(JsonElement);
        if (HttpMethods.IsPost(http.Request.Method))
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
                body = document.RootElement.Clone();
            }
            catch (Exception e) when (e is JsonException or BadHttpRequestException)
            {
                return Problem(400, "malformed_body", "The body must be a JSON object of the action's parameters.");
            }
        }

        return await run(caller!, body);
    }

    private static string? IdempotencyKey(HttpContext http) =>
        http.Request.Headers["Idempotency-Key"] is { Count: 1 } values && values[0] is { Length: > 0 and <= 255 } key && key.All(c => c is > ' ' and <= '~') ? key : null;

    private static IResult Answer(object result) => result switch
    {
        WriteOutcome done => Results.Json(done.Body, statusCode: done.Status),
        WriteError error => Problem(error.Status, error.Code, error.Message),
        _ => throw new InvalidOperationException("A write answers a WriteOutcome or a WriteError."),
    };

    public static IResult Problem(int status, string code, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: code, extensions: new Dictionary<string, object?> { ["code"] = code });

    [GeneratedRegex("^RT-[0-9]{6}$")]
    private static partial Regex TicketPattern();

    [GeneratedRegex("^SO-[0-9]{6}$")]
    private static partial Regex OrderPattern();

    /// <summary>The action's parameters, checked like the manifest's schema: known names only, types, patterns, enums.</summary>
    private sealed class Parameters
    {
        private readonly JsonElement _body;

        private Parameters(JsonElement body) => _body = body;

        public IResult? Error { get; private set; }

        public static Parameters Read(JsonElement body, string[] known)
        {
            var p = new Parameters(body);
            if (body.ValueKind != JsonValueKind.Object)
            {
                p.Fail("malformed_body", "The body must be a JSON object of the action's parameters.");
                return p;
            }

            foreach (var property in body.EnumerateObject().Where(property => !known.Contains(property.Name)))
            {
                p.Fail("unknown_parameter", $"Unknown parameter '{property.Name}' (expected: {string.Join(", ", known)}).");
            }

            return p;
        }

        public string? Text(string name, Regex? pattern, int maxLength = 200, string[]? oneOf = null)
        {
            if (Error is not null)
            {
                return null;
            }

            if (!_body.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
            {
                return Fail("invalid_parameter", $"'{name}' is required and must be a non-empty string.");
            }

            if (text.Length > maxLength || (pattern is not null && !pattern.IsMatch(text)) || (oneOf is not null && !oneOf.Contains(text, StringComparer.Ordinal)))
            {
                return Fail("invalid_parameter", $"'{name}' is not valid" + (oneOf is null ? "." : $" (one of: {string.Join(", ", oneOf)})."));
            }

            return text;
        }

        public long? Cents(string name)
        {
            if (Error is not null)
            {
                return null;
            }

            if (!_body.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var amount))
            {
                Fail("invalid_parameter", $"'{name}' is required and must be a number.");
                return null;
            }

            var cents = amount * 100;
            if (amount <= 0 || amount > 1_000_000 || cents != decimal.Truncate(cents))
            {
                Fail("invalid_parameter", $"'{name}' must be more than 0, at most 1000000, with at most two decimals.");
                return null;
            }

            return (long)cents;
        }

        private string? Fail(string code, string message)
        {
            Error ??= Problem(400, code, message);
            return null;
        }
    }
}
