using Skybridge.Grounding.Engines;

namespace Skybridge.Grounding.Tests;

/// <summary>The built-in engine asked directly, on hand-written passages (P1, P2... in the order given), and its answer as one text.</summary>
internal static class ExtractiveRig
{
    public static EngineAnswer Ask(string question, params (string Document, string Text)[] passages) =>
        ExtractiveChatClient.Answer(new AnswerRequest(question, [.. passages.Select((p, i) => new PromptPassage("P" + (i + 1), p.Document, p.Document, p.Text))]));

    /// <summary>One passage of <paramref name="document"/>, titled by its name.</summary>
    public static EngineAnswer Ask(string question, string document, string text) => Ask(question, (document, text));

    public static string Text(EngineAnswer answer) => string.Join(" ", answer.Claims.Select(c => c.Text));
}
