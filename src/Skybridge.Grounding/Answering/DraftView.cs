using System.Text.Json.Nodes;

namespace Skybridge.Grounding.Answering;

/// <summary>The one JSON shape of a draft, for the API and <c>skybridge ask --json</c>.</summary>
public static class DraftView
{
    /// <summary>
    /// <c>answer</c>, <c>abstained</c>, <c>reason</c> (code or null) and <c>reasonDetail</c>, <c>citations</c> (each with
    /// <c>document</c> (path under its source folder), <c>source</c>, <c>title</c>, <c>version</c>, <c>start</c>, <c>end</c>,
    /// <c>quote</c>), <c>claims</c>, <c>handedOver</c> (the questions left to a person) and <c>handOvers</c> (each with
    /// <c>question</c>, <c>reason</c> and <c>detail</c>), <c>confidence</c>, <c>citationCoverage</c>, <c>engine</c>, <c>retrieval</c> (<c>fused</c> or <c>words</c>), <c>proposedActions</c>.
    /// </summary>
    public static JsonObject ToJson(Draft draft, string? caseId = null)
    {
        ArgumentNullException.ThrowIfNull(draft);
        static JsonObject Citation(DraftCitation c) => new()
        {
            ["document"] = c.Document, ["source"] = c.Source, ["title"] = c.Title, ["version"] = c.Version,
            ["start"] = c.Start, ["end"] = c.End, ["quote"] = c.Quote,
        };

        var json = new JsonObject();
        if (caseId is not null)
        {
            json["caseId"] = caseId;
        }

        json["answer"] = draft.Answer;
        json["abstained"] = draft.Abstained;
        json["reason"] = draft.Reason;
        json["reasonDetail"] = draft.ReasonDetail;
        json["citations"] = new JsonArray([.. draft.Citations.Select(c => (JsonNode)Citation(c))]);
        json["claims"] = new JsonArray([.. draft.Claims.Select(c => (JsonNode)new JsonObject
        {
            ["text"] = c.Text,
            ["citations"] = new JsonArray([.. c.Citations.Select(x => (JsonNode)Citation(x))]),
        })]);
        json["confidence"] = draft.Confidence;
        json["citationCoverage"] = draft.CitationCoverage;
        json["unsupportedClaims"] = draft.UnsupportedClaims;
        json["unsupportedReasons"] = new JsonArray([.. draft.UnsupportedReasons.Select(r => (JsonNode)JsonValue.Create(r)!)]);
        json["engine"] = draft.Engine;
        json["injectionAttempts"] = new JsonArray([.. draft.InjectionAttempts.Select(a => (JsonNode)JsonValue.Create(a)!)]);
        json["handedOver"] = new JsonArray([.. draft.HandedOver.Select(a => (JsonNode)JsonValue.Create(a)!)]);
        json["handOvers"] = new JsonArray([.. draft.HandOvers.Select(h => (JsonNode)new JsonObject
        {
            ["question"] = h.Question, ["reason"] = h.Reason, ["detail"] = h.Detail,
        })]);
        json["retrieval"] = draft.Retrieval;
        json["embeddingModel"] = draft.EmbeddingModel;
        // Actions are proposed through the policy engine of the governed-actions work; a draft never carries one yet.
        json["proposedActions"] = new JsonArray();
        return json;
    }
}
