using Microsoft.Extensions.Time.Testing;

namespace Skybridge.Server.Tests.Support;

/// <summary>
/// A <see cref="RunningServer"/> whose node runs on a fake clock: tests let minutes pass with
/// <see cref="FakeTimeProvider.Advance"/> instead of sleeping. The clock starts at the real time, so cookies and
/// proofs made by real clocks still fit; agents follow it through <c>AgentKit.UseClock</c>.
/// </summary>
public sealed class FakeClockServer : RunningServer
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public override TimeProvider Time => Clock;
}
