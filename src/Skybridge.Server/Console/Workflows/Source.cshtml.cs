using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Skybridge.Core.Access;
using Skybridge.Application.Access;
using Skybridge.Storage;

namespace Skybridge.Server.Console.Workflows;

/// <summary>One version of a source document, with a cited span highlighted: where a reviewer checks a citation.</summary>
public sealed class SourceModel : PageModel
{
    private readonly AccessService _access;
    private readonly ISourceStore _store;

    public SourceModel(AccessService access, ISourceStore store)
    {
        _access = access;
        _store = store;
    }

    public string WorkflowId { get; private set; } = "";

    public StoredDocument? Document { get; private set; }

    public string Before { get; private set; } = "";

    public string Cited { get; private set; } = "";

    public string After { get; private set; } = "";

    public string? SpanProblem { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, string source, string path, string? version, int? start, int? end, CancellationToken cancellationToken)
    {
        var verdict = await _access.CheckAsync(User, Permission.ReadWorkflow, id, cancellationToken).ConfigureAwait(false);
        if (verdict != AccessVerdict.Allowed)
        {
            return ConsoleAccess.Refuse(verdict);
        }

        WorkflowId = id;
        Document = version is { Length: > 0 }
            ? await _store.GetDocumentVersionAsync(id, source, path, version, cancellationToken).ConfigureAwait(false)
            : (await _store.ListCurrentDocumentsAsync(id, cancellationToken).ConfigureAwait(false)).FirstOrDefault(d => d.Source == source && d.Path == path);
        if (Document is null)
        {
            return NotFound();
        }

        var text = Document.Text;
        if (start is { } s && end is { } e)
        {
            if (s < 0 || e > text.Length || e <= s)
            {
                SpanProblem = $"The span {s}-{e} is not inside this version ({text.Length} characters).";
                Before = text;
                return Page();
            }

            (Before, Cited, After) = (text[..s], text[s..e], text[e..]);
        }
        else
        {
            Before = text;
        }

        return Page();
    }
}
