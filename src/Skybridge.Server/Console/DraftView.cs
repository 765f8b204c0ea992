using System.Text.Json.Nodes;
using Skybridge.Storage;

namespace Skybridge.Server.Console;

/// <summary>A cited passage of the case's draft, with the link to the source view that highlights it.</summary>
public sealed record DraftCitationView(string Title, string Quote, string Link);

/// <summary>
/// A case's request and its draft as the console shows them (the approval page and the case page share it through
/// <c>Shared/_Draft.cshtml</c>): the answer or the abstention's reason, and every cited passage linked to the source
/// view that highlights it.
/// </summary>
public sealed class DraftView
{
    public required StoredCase Case { get; init; }

    public string? Answer { get; init; }

    public string? AbstainReason { get; init; }

    public IReadOnlyList<DraftCitationView> Citations { get; init; } = [];

    /// <summary>The view of <paramref name="stored"/>'s draft (top-level citations and those of each claim, once each).</summary>
    public static DraftView Of(StoredCase stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (JsonNode.Parse(stored.Draft) is not JsonObject draft)
        {
            return new DraftView { Case = stored };
        }

        var citations = (draft["citations"] as JsonArray ?? []).Concat((draft["claims"] as JsonArray ?? []).SelectMany(c => c?["citations"] as JsonArray ?? []));
        return new DraftView
        {
            Case = stored,
            Answer = (string?)draft["answer"],
            AbstainReason = draft["abstained"]?.GetValue<bool>() == true ? (string?)draft["reasonDetail"] ?? (string?)draft["reason"] : null,
            Citations = [.. citations.OfType<JsonObject>()
                .Select(c => new DraftCitationView(
                    (string?)c["title"] ?? (string?)c["document"] ?? "",
                    (string?)c["quote"] ?? "",
                    SourceView.Link(stored.WorkflowId, (string)c["source"]!, (string)c["document"]!, (string)c["version"]!, (int)c["start"]!, (int)c["end"]!)))
                .DistinctBy(c => c.Link)],
        };
    }
}
