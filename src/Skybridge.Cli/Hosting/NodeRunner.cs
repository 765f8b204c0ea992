using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace Skybridge.Cli.Hosting;

/// <summary>Runs a server node until cancelled, turning start-up failures into clear messages.</summary>
internal static class NodeRunner
{
    /// <summary>Starts the node; calls <paramref name="onStarted"/> with the listening addresses; waits for Ctrl+C.</summary>
    public static async Task<int> RunAsync(
        SkybridgeServerOptions options, ISkybridgeStore store, CliIo io, Action<IReadOnlyList<string>> onStarted, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = SkybridgeServer.Build(options, store);
        }
        catch (UriFormatException ex)
        {
            io.Fail($"--urls '{options.Urls}' is not a valid address: {ex.Message}", "Example: --urls http://127.0.0.1:5080");
            return ExitCodes.InvalidInput;
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartNodeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                io.Fail($"Cannot listen on {options.Urls}: the port is already in use.", "Stop the other program, or choose another port with --urls http://127.0.0.1:PORT.");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
            {
                io.Fail($"Cannot listen on {options.Urls}: {ex.Message}", "Choose another address with --urls.");
                return ExitCodes.Failed;
            }
            catch (InvalidOperationException ex)
            {
                // Broken configuration found while starting (for example a ledger key file of another ledger).
                io.Fail(ex.Message);
                return ExitCodes.Failed;
            }

            onStarted(SkybridgeServer.ListeningAddresses(app));

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop accepting requests and let in-flight ones finish.
            }

            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(stopTimeout.Token).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }
}
