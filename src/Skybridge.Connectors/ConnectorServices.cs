using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Connectors;
using Skybridge.Connectors.Http;

namespace Skybridge.Connectors;

/// <summary>Registers the connectors.</summary>
public static class ConnectorServices
{
    /// <summary>
    /// Adds <see cref="IConnectors"/> (HTTP connector and the registry). The host also registers an
    /// <see cref="IConnectorTokens"/> (tokens minted with the node's key) and an <see cref="IConnectorCredentials"/>
    /// (normally <see cref="ConnectorSecrets"/> over the store, with the node's secrets key), and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddSkybridgeConnectors(this IServiceCollection services, HttpConnectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        (options ??= new HttpConnectorOptions()).Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new HttpConnector(
            options,
            sp.GetRequiredService<IConnectorTokens>(),
            sp.GetRequiredService<IConnectorCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HttpConnector>>()));
        services.AddSingleton<IConnectors>(sp => new ConnectorRegistry(sp.GetRequiredService<HttpConnector>()));
        return services;
    }

    /// <summary>The connectors, built without a container (the CLI, tests).</summary>
    public static IConnectors Create(IConnectorTokens tokens, IConnectorCredentials credentials, TimeProvider time, ILoggerFactory loggers, HttpConnectorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        return new ConnectorRegistry(new HttpConnector(options ?? new HttpConnectorOptions(), tokens, credentials, time, loggers.CreateLogger<HttpConnector>()));
    }
}
