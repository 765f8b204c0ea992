using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace HelpdeskBilling.Store;

/// <summary>
/// The tickets and orders a fresh store starts with: Ridgeline Outfitters' usual questions, matching the help-centre
/// articles of samples/support-desk (late parcels, double charges, warranty claims, returns...). Ticket RT-00000n is about
/// order SO-00000n.
/// </summary>
internal static class SeedData
{
    private static readonly (string Customer, string Items, long TotalCents, string Subject, string Body)[] Rows =
    [
        ("Anna Schmidt", "Talus 45 backpack", 14900, "Hip belt buckle snapped", "The hip belt buckle of my Talus 45 snapped on the first hike. Can I get a replacement?"),
        ("Jonas Weber", "Ridgeline Dome 2 tent", 32900, "Where is my order?", "Paid 6 days ago and tracking still says nothing. I need the tent by Friday."),
        ("Lea Martin", "Scree gaiters", 6980, "Charged twice", "You charged me twice for the same pair of gaiters, 34.90 EUR each time. Please refund the second charge."),
        ("Tom Fischer", "Alpine 800 down jacket", 27900, "Return a jacket", "The jacket is too big. How do I return it for a refund?"),
        ("Sara Rossi", "Summit GPS watch", 24900, "Watch will not sync", "My GPS watch stopped syncing with the app after the update."),
        ("Mats Olsen", "Glacier sleeping bag", 18900, "Zip broke after two nights", "The zip of the sleeping bag broke after two nights. Is this covered by the warranty?"),
        ("Eva Novak", "Trail runner shoes, size 42", 12900, "Exchange for another size", "The shoes are too small; can I exchange them for size 43?"),
        ("Luca Bianchi", "Titanium stove", 8900, "Stove won't light", "The stove does not light even with a new gas canister."),
        ("Nora Berg", "Trekking poles (pair)", 7900, "Parcel lost", "The carrier says the parcel was delivered but it never arrived."),
        ("Paul Meyer", "Climbing harness", 8990, "Partial refund for missing item", "The chalk bag that came with the harness bundle was missing from the parcel."),
        ("Ines Costa", "Rain shell jacket", 19900, "Jacket leaks", "My rain shell lets water through at the shoulders after one season."),
        ("Felix Wagner", "Headlamp 400", 4990, "Cancel my order", "I ordered by mistake, please cancel before it ships."),
        ("Clara Dubois", "Merino base layer set", 11900, "Invoice with VAT number", "I need an invoice with my company's VAT number for this order."),
        ("Oskar Lind", "Approach shoes", 15900, "Damaged on arrival", "The box was crushed and one shoe's sole is torn off."),
        ("Mia Hoffmann", "Camp chair", 5990, "Refund not received", "I returned the chair three weeks ago and the refund has not arrived."),
        ("Leo Kowalski", "Bouldering crash pad", 22900, "Customs fees", "I was asked to pay customs fees on delivery to Switzerland. Why?"),
        ("Julia Santos", "Water filter", 3990, "Payment failed but money taken", "The payment failed at checkout but the amount is gone from my account."),
        ("Erik Nilsen", "Ice axe", 9900, "Express shipping did not arrive next day", "I paid for express shipping and the parcel took four days."),
        ("Hanna Keller", "Trekking boots", 21900, "Boots hurt", "The boots hurt after ten kilometres. Can I still return them after wearing them outside?"),
        ("David Young", "Two-person hammock", 6990, "Refund the whole order", "Nothing in this order is what I expected. Please refund all of it."),
    ];

    public static async Task InsertAsync(SqliteConnection connection, SqliteTransaction tx, DateTimeOffset now)
    {
        for (var i = 0; i < Rows.Length; i++)
        {
            var (customer, items, total, subject, body) = Rows[i];
            var n = (i + 1).ToString("D6", CultureInfo.InvariantCulture);
            var placed = now.AddDays(-(30 - i)).ToString("O", CultureInfo.InvariantCulture);
            var opened = now.AddDays(-(20 - i / 2)).ToString("O", CultureInfo.InvariantCulture);
            await connection.ExecuteAsync(
                "INSERT INTO orders (id, customer, items, total_cents, currency, placed_at) VALUES (@id, @customer, @items, @total, 'EUR', @placed)",
                new { id = "SO-" + n, customer, items, total, placed }, tx);
            await connection.ExecuteAsync(
                "INSERT INTO tickets (id, customer, subject, body, status, queue, order_id, created_at) VALUES (@id, @customer, @subject, @body, 'open', NULL, @orderId, @opened)",
                new { id = "RT-" + n, customer, subject, body, orderId = "SO-" + n, opened }, tx);
        }
    }
}
