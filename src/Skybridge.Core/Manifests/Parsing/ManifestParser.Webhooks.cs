using Skybridge.Core.Diagnostics;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>The <c>webhooks</c> section: receivers of the workflow's approval, action and halt events.</summary>
internal sealed partial class ManifestParser
{
    private static readonly string[] WebhookKeys = ["name", "url", "events", "description"];

    private Webhook? ParseWebhook(MapReader map)
    {
        var name = RequiredName(map, "name", "webhook");
        var urlNode = read.Scalar(map, "url", required: true);
        Uri? url = null;
        if (urlNode is not null && (url = ParseUrl(urlNode, $"url of {map.Where}")) is not null
            && url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback)
        {
            // A delivery names cases, approvals and people: it must not cross a network in the clear.
            bag.Error(DiagnosticCodes.UnencryptedWebhookUrl, $"url '{urlNode.Value}' of {map.Where} uses plain http to another machine; deliveries would cross the network unencrypted; use https", urlNode);
        }

        var events = new List<string>();
        var eventNodes = read.ScalarList(map, "events", required: true);
        if (eventNodes is { Count: 0 } && map["events"] is { } emptyNode)
        {
            bag.Error(DiagnosticCodes.MalformedValue, $"'events' of {map.Where} is empty; name at least one of: {string.Join(", ", WebhookEvents.Subscribable)}", emptyNode);
        }

        foreach (var node in eventNodes ?? [])
        {
            if (!WebhookEvents.Subscribable.Contains(node.Value, StringComparer.Ordinal))
            {
                bag.Error(DiagnosticCodes.UnknownWebhookEvent, $"{map.Where} subscribes to '{node.Value}', which is not an event a webhook receives (it can receive: {string.Join(", ", WebhookEvents.Subscribable)})",
                    node, EditDistance.FindNearest(node.Value, WebhookEvents.Subscribable));
            }
            else if (!events.Contains(node.Value, StringComparer.Ordinal))
            {
                events.Add(node.Value);
            }
        }

        return url is null
            ? null
            : new Webhook
            {
                Name = name,
                Url = url,
                Events = events,
                Description = read.String(map, "description", required: false),
            };
    }
}
