namespace Skybridge.Storage.Tests.Contract;

/// <summary>The grounding half of the contract: document versions kept forever, current ones tracked; cases.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset G0 = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static StoredDocument Doc(string path, string text) => new()
    {
        Source = "kb", Path = path, Version = "v-" + text.GetHashCode(StringComparison.Ordinal).ToString("x8", System.Globalization.CultureInfo.InvariantCulture),
        DocId = Path.GetFileNameWithoutExtension(path), Title = path, Status = "current", Classification = "internal", Text = text,
    };

    [Fact]
    public async Task Documents_NewVersionsAreAdded_OldOnesKept_RemovedOnesMarked()
    {
        var a1 = Doc("a.md", "first text");
        var b1 = Doc("b.md", "other text");
        Assert.Equal(new DocumentSync(2, 0, 0), await Store.SyncSourceDocumentsAsync("wf", "kb", [a1, b1], G0, Ct));
        var g1 = await Store.GetDocumentsGenerationAsync("wf", Ct);
        Assert.Equal(new DocumentSync(0, 2, 0), await Store.SyncSourceDocumentsAsync("wf", "kb", [a1, b1], G0.AddMinutes(1), Ct));
        Assert.Equal(g1, await Store.GetDocumentsGenerationAsync("wf", Ct));

        var a2 = Doc("a.md", "second text");
        Assert.Equal(new DocumentSync(1, 0, 1), await Store.SyncSourceDocumentsAsync("wf", "kb", [a2], G0.AddMinutes(2), Ct));
        Assert.NotEqual(g1, await Store.GetDocumentsGenerationAsync("wf", Ct));
        Assert.Equal([("a.md", a2.Version)], (await Store.ListCurrentDocumentsAsync("wf", Ct)).Select(d => (d.Path, d.Version)));

        // The old version still answers for citations made against it.
        var old = await Store.GetDocumentVersionAsync("wf", "kb", "a.md", a1.Version, Ct);
        Assert.Equal("first text", old!.Text);
        Assert.NotNull(old.RemovedAt);

        // Changing back makes the old version current again, without a duplicate.
        var g2 = await Store.GetDocumentsGenerationAsync("wf", Ct);
        Assert.Equal(new DocumentSync(1, 0, 0), await Store.SyncSourceDocumentsAsync("wf", "kb", [a1], G0.AddMinutes(3), Ct));
        Assert.NotEqual(g2, await Store.GetDocumentsGenerationAsync("wf", Ct));
        Assert.Equal([a1.Version], (await Store.ListCurrentDocumentsAsync("wf", Ct)).Select(d => d.Version));
        Assert.Empty(await Store.ListCurrentDocumentsAsync("another", Ct));
    }

    [Fact]
    public async Task Cases_AreKeptWithTheirDrafts()
    {
        await Store.SaveCaseAsync(new StoredCase("c-1", "wf", "agent:support-desk/r1", "Where is my order?", "{\"abstained\":true}", true, G0), Ct);
        var stored = await Store.GetCaseAsync("c-1", Ct);
        Assert.Equal(new StoredCase("c-1", "wf", "agent:support-desk/r1", "Where is my order?", "{\"abstained\":true}", true, G0), stored);
        Assert.Null(await Store.GetCaseAsync("c-2", Ct));
    }

    [Fact]
    public async Task Cases_KeepTheAttributesTheyWereSubmittedWith()
    {
        await Store.SaveCaseAsync(new StoredCase("c-3", "wf", "user:ann", "My tent is torn", "{}", false, G0, """{"ticket_id":"RT-000123"}"""), Ct);

        Assert.Equal("""{"ticket_id":"RT-000123"}""", (await Store.GetCaseAsync("c-3", Ct))!.Attributes);
    }
}
