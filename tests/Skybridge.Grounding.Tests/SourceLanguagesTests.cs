using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// A bilingual help centre is in both its languages: a question in either is read against the sources, and a question in
/// a third language is handed over as another language, naming both the sources are in.
/// </summary>
public sealed class SourceLanguagesTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SourceDocument[] HelpCentre =
    [
        .. Enumerable.Range(0, 8).Select(i => GroundingFixture.Doc($"en/topic-{i}.md",
            $"This is the page about topic {i}. You can ask us about it and we answer within one working day, and it is free.", $"Topic {i}")),
        GroundingFixture.Doc("en/returns.md",
            "You can return unused items within 30 days of delivery. The return label is free and it is in your account.", "Returns"),
        GroundingFixture.Doc("de/ruecksendung.md",
            "Sie können ungetragene Artikel innerhalb von 30 Tagen nach der Lieferung zurückschicken. Das Rücksendeetikett ist kostenlos und Sie finden es in Ihrem Konto.", "Rücksendung"),
        GroundingFixture.Doc("de/versand.md",
            "Die Lieferung dauert in Deutschland 2 bis 3 Werktage. Ab 60 EUR ist der Versand kostenlos und wir schicken eine E-Mail mit der Sendungsnummer.", "Versand"),
    ];

    private readonly PassageIndex _index = new();

    public SourceLanguagesTests() => _index.Upsert(HelpCentre);

    public void Dispose() => _index.Dispose();

    private Task<Draft> AskAsync(string question) =>
        new GroundedAnswerer(GroundingFixture.Manifest(), _index, new ExtractiveChatClient()).AnswerAsync(question, Ct);

    [Fact]
    public async Task AnswerAsync_ReadsAGermanQuestion_AgainstAHelpCentreWithGermanPages()
    {
        // Two of eleven pages are German: before, only the language of most pages counted, and this was handed over.
        var draft = await AskAsync("Wie lange habe ich Zeit, die Schuhe zurückzuschicken? Das Rücksendeetikett ist nicht im Paket.");

        Assert.NotEqual("other_language", draft.Reason);
    }

    [Fact]
    public async Task AnswerAsync_HandsOverAQuestionInAThirdLanguage_NamingTheSourcesLanguages()
    {
        var draft = await AskAsync("Hola, ¿cuánto tiempo tengo para devolver unas botas? No tengo la etiqueta.");

        Assert.True(draft.Abstained);
        Assert.Equal("other_language", draft.Reason);
        Assert.Equal("The question is written in Spanish; the sources are in English and German, and the built-in engine does not translate.", draft.ReasonDetail);
    }

    [Fact]
    public async Task AnswerAsync_WithARemoteEngine_SaysItIsRetrievalThatDoesNotTranslate_AndNeverCallsTheEngine()
    {
        // A model could translate, but retrieval matches within a language, so the passages that answer are never found.
        var called = 0;
        await using var model = await FakeOpenAi.StartAsync(_ =>
        {
            Interlocked.Increment(ref called);
            return """{"claims":[]}""";
        });
        var manifest = GroundingFixture.Manifest(new ModelSettings { Provider = ModelProvider.OpenAICompatible, Endpoint = new Uri(model.Url + "/v1"), Model = "m" });
        using var engine = AnswerEngines.Create(manifest.Model, apiKey: "k");

        var draft = await new GroundedAnswerer(manifest, _index, engine).AnswerAsync("Hola, ¿cuánto tiempo tengo para devolver unas botas? No tengo la etiqueta.", Ct);

        Assert.Equal("other_language", draft.Reason);
        Assert.Equal("The question is written in Spanish; the sources are in English and German, and retrieval does not translate, so no passage that answers it can be found.", draft.ReasonDetail);
        Assert.Equal(0, called);
    }
}
