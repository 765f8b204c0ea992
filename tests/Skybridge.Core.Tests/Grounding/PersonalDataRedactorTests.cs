using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

public sealed class PersonalDataRedactorTests
{
    private static readonly PersonalDataRedactor All = new(PersonalDataRedactor.BuiltInKinds);

    [Fact]
    public void Redact_ReplacesEveryKind_AndKeepsOrderNumbersAndDates()
    {
        const string ticket = "Hi, I'm anna.berg@example.org (or +49 30 1234 5678). Card 4111 1111 1111 1111 was charged twice on 2026-09-14 " +
            "for order SO-482913; please refund to DE89 3704 0044 0532 0130 00. Write to anna.berg@example.org again if needed.";
        var redacted = All.Redact(ticket);
        Assert.Equal(
            "Hi, I'm [EMAIL_1] (or [PHONE_1]). Card [CARD_NUMBER_1] was charged twice on 2026-09-14 for order SO-482913; " +
            "please refund to [IBAN_1]. Write to [EMAIL_1] again if needed.", redacted.Text);
        Assert.Equal(4, redacted.Redactions.Count);
    }

    [Fact]
    public void Redact_LeavesNumbersThatFailTheChecksums()
    {
        var redacted = All.Redact("Tracking 4111 1111 1111 1112, reference DE00 3704 0044 0532 0130 00, invoice 2026000123.");
        Assert.DoesNotContain(redacted.Redactions, r => r.Kind is "iban" or "card_number");
        Assert.Contains("4111 1111 1111 1112", redacted.Text, StringComparison.Ordinal);
        Assert.Contains("invoice 2026000123", redacted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_PutsBackOnlyTheKindsPolicyAllows()
    {
        var redacted = All.Redact("Mail anna@example.org, card 5500 0000 0000 0004.");
        var answer = "We wrote to [EMAIL_1] about card [CARD_NUMBER_1].";
        Assert.Equal("We wrote to anna@example.org about card [CARD_NUMBER_1].", redacted.Restore(answer, new HashSet<string> { "email" }));
    }

    [Fact]
    public void CustomPatterns_FromTheManifest_AreRedactedToo()
    {
        var redactor = new PersonalDataRedactor(["email"], new Dictionary<string, string> { ["customer_id"] = @"\bCUST-[0-9]{6}\b" });
        Assert.Equal("Customer [CUSTOMER_ID_1] asked.", redactor.Redact("Customer CUST-004211 asked.").Text);
    }

    [Fact]
    public void IpAddresses_AreRedacted_ButNotTimesOrVersions()
    {
        var redacted = new PersonalDataRedactor(["ip_address"]).Redact("Login from 192.168.10.4 and 2001:db8::1 at 10:30:00, app 2.14.3, host 999.1.1.1.");
        Assert.Equal(["192.168.10.4"], redacted.Redactions.Select(r => r.Value));
        Assert.Contains("10:30:00", redacted.Text, StringComparison.Ordinal);
        Assert.Contains("2.14.3", redacted.Text, StringComparison.Ordinal);
        Assert.Contains("999.1.1.1", redacted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKinds_AreRefusedWithTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => new PersonalDataRedactor(["email", "passport"]));
        Assert.Contains("passport", error.Message, StringComparison.Ordinal);
        Assert.Contains("card_number", error.Message, StringComparison.Ordinal);
    }
}
