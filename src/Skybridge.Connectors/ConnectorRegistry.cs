using Skybridge.Application.Connectors;
using Skybridge.Connectors.Http;
using Skybridge.Core.Manifests;

namespace Skybridge.Connectors;

/// <summary>The connectors of this node by manifest connector type: HTTP now; MCP reports that it is not available yet.</summary>
internal sealed class ConnectorRegistry : IConnectors
{
    private readonly HttpConnector _http;
    private readonly IConnector _unavailable = new UnavailableConnector();

    public ConnectorRegistry(HttpConnector http) => _http = http;

    public IConnector For(Connector connector)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return connector.Type switch
        {
            ConnectorType.Http => _http,
            _ => _unavailable,
        };
    }

    public Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return For(call.Connector).ExecuteAsync(call, cancellationToken);
    }

    /// <summary>A connector type this version cannot execute: a result, so the action fails cleanly and is known not to have run.</summary>
    private sealed class UnavailableConnector : IConnector
    {
        public Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken) =>
            Task.FromResult(ConnectorResult.NotSent(ConnectorErrors.TypeNotAvailable,
                $"Connector '{call.Connector.Name}' is of type {call.Connector.Type.ToString().ToLowerInvariant()}, which this version of Skybridge cannot execute yet; nothing was sent."));
    }
}
