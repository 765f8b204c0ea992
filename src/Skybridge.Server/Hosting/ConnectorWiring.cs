using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Connectors;
using Skybridge.Application.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Connectors;
using Skybridge.Storage;

namespace Skybridge.Server.Hosting;

/// <summary>
/// Connects the action pipeline's connector contract (Application/Connectors) to its implementations: the HTTP
/// connector, tokens minted with this node's signing key (DPoP-bound to the node's connector key), and the secret store
/// opened with the node's secrets key. The Application never references Skybridge.Connectors; only the host does.
/// </summary>
internal static class ConnectorWiring
{
    public static IServiceCollection AddSkybridgeConnectorWiring(this IServiceCollection services, ISecretStore store)
    {
        services.AddSingleton(sp => new ConnectorTokenMinter(
            sp.GetRequiredService<TokenSigningKeys>(), sp.GetRequiredService<IssuerUrls>(), sp.GetRequiredService<ILedger>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IConnectorTokens>(sp => sp.GetRequiredService<ConnectorTokenMinter>());
        // The secrets key is loaded when the node starts, after the container is built: it is asked for at each use.
        services.AddSingleton<IConnectorCredentials>(sp => new ConnectorSecrets(store, () => sp.GetRequiredService<NodeSecrets>().Key, sp.GetRequiredService<ILedger>()));
        services.AddSkybridgeConnectors();
        return services;
    }
}
