using System.Globalization;

namespace Skybridge.Cli.Hosting;

/// <summary>
/// Where <c>skybridge up</c> runs the sample system of record (samples/helpdesk-billing) beside the node: on the same
/// host, the node's port + 1 (5081 beside the default 5080), over plain HTTP on the machine. The bundled manifest names
/// <see cref="ManifestBase"/>; when the node listens elsewhere, <c>up</c> rewrites the two connector endpoints of the
/// manifest it publishes to this URL, so the published workflow always points at the system <c>up</c> started.
/// </summary>
internal sealed record SampleSystem(string Listen, string Url, string Issuer)
{
    /// <summary>The sample system's URL as the bundled manifest writes its connector endpoints.</summary>
    public const string ManifestBase = "http://127.0.0.1:5081";

    /// <summary>The helpdesk half's audience (RFC 8707 resource) and connector endpoint.</summary>
    public string HelpdeskAudience => Url + "/helpdesk";

    /// <summary>The billing half's audience and connector endpoint.</summary>
    public string BillingAudience => Url + "/billing";

    /// <summary>The sample's place beside a node listening on <paramref name="urls"/>, or why there is none.</summary>
    public static SampleSystem? Plan(string urls, out string? problem)
    {
        problem = null;
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        if (!Uri.TryCreate(first, UriKind.Absolute, out var node) || node.Scheme is not ("http" or "https"))
        {
            problem = $"--urls '{urls}' is not a valid address.";
            return null;
        }

        // The node must know the sample's audiences before it starts, so the sample's port must be known before either listens.
        if (node.Port is 0 or 65535)
        {
            problem = $"skybridge up needs a fixed port below 65535 in --urls (not {node.Port}): the sample helpdesk-and-billing system listens on the next one.";
            return null;
        }

        var port = (node.Port + 1).ToString(CultureInfo.InvariantCulture);
        var wildcard = node.Host is "0.0.0.0" or "[::]" or "+" or "*";
        var listen = $"http://{node.Host}:{port}";
        var url = $"http://{(wildcard ? "127.0.0.1" : node.Host)}:{port}";
        // The node's issuer is its first listening address (IssuerUrls): the only iss the sample accepts.
        var issuer = node.GetLeftPart(UriPartial.Authority).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal).TrimEnd('/');
        return new SampleSystem(listen, url, issuer);
    }

    /// <summary>The bundled manifest with its connector endpoints pointing at this sample system.</summary>
    public string Rewrite(string manifestYaml) => manifestYaml.Replace(ManifestBase + "/", Url + "/", StringComparison.Ordinal);
}
