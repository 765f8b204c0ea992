using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Ledger;

/// <summary>The node signs a checkpoint every 10 seconds of its clock when the ledger grew.</summary>
public sealed class CheckpointClockTests : IClassFixture<FakeClockServer>
{
    private readonly FakeClockServer _server;

    public CheckpointClockTests(FakeClockServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checkpoint_IsSigned_WhenTenSecondsPass_AfterTheLedgerGrew()
    {
        await _server.Services.GetRequiredService<AccountService>().CreateUserAsync("test", "newcomer", "Newcomer", RunningServer.Password, Ct);
        var head = await _server.Store.GetLedgerHeadAsync(Ct);
        Assert.True((await _server.Store.GetLatestCheckpointAsync(Ct))?.Size is not { } before || before < head.Size);

        _server.Clock.Advance(TimeSpan.FromSeconds(10));

        // The tick runs the signing on the thread pool: wait for that work (not for time), at most a few seconds.
        var signedUpTo = 0L;
        for (var attempt = 0; attempt < 500 && signedUpTo < head.Size; attempt++)
        {
            await Task.Yield();
            signedUpTo = (await _server.Store.GetLatestCheckpointAsync(Ct))?.Size ?? 0;
            if (signedUpTo < head.Size)
            {
                await Task.Delay(10, Ct);
            }
        }

        Assert.True(signedUpTo >= head.Size, $"No checkpoint covers the {head.Size} events 10 s after they were recorded.");
    }
}
