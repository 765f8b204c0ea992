using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skybridge.Application;

namespace Skybridge.Application.Ledger;

/// <summary>Signs a checkpoint of the ledger periodically (when it grew) and once more at shutdown.</summary>
internal sealed partial class CheckpointService : BackgroundService
{
    private readonly LedgerService _ledger;
    private readonly SkybridgeNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CheckpointService> _logger;

    public CheckpointService(LedgerService ledger, SkybridgeNodeOptions options, TimeProvider time, ILogger<CheckpointService> logger)
    {
        _ledger = ledger;
        _options = options;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.LedgerKeyFile is null)
        {
            return;
        }

        // The node's clock, not the machine's: checkpoints then follow the same time as the events they sign.
        using var timer = new PeriodicTimer(_options.CheckpointInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SignAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        await SignAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task SignAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false) is { } checkpoint)
            {
                LogCheckpoint(_logger, checkpoint.Size);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next tick tries again; events keep being recorded meanwhile.
            LogCheckpointFailed(_logger, ex);
        }
    }

    [LoggerMessage(1100, LogLevel.Debug, "Signed ledger checkpoint at size {Size}")]
    private static partial void LogCheckpoint(ILogger logger, long size);

    [LoggerMessage(1101, LogLevel.Error, "Could not sign a ledger checkpoint")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
