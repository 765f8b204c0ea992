using System.Net.Sockets;
using System.Text;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>A node that holds at most a few client connections, so a test can take them all.</summary>
public sealed class ConnectionLimitedServer : RunningServer
{
    public const int Limit = 6;

    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with { MaxConnections = Limit };
}

/// <summary>
/// Clients cannot take every file descriptor of a node: past the limit a new connection is closed unanswered, the
/// connections held are still served, and once one is let go a new one gets in.
/// </summary>
public sealed class ConnectionLimitTests : IClassFixture<ConnectionLimitedServer>
{
    private readonly ConnectionLimitedServer _server;

    public ConnectionLimitTests(ConnectionLimitedServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connection_PastTheLimit_IsClosedUnansweredWhileHeldOnesAreServed()
    {
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < ConnectionLimitedServer.Limit; i++)
            {
                var socket = await ConnectAsync();
                held.Add(socket);
                Assert.StartsWith("HTTP/1.1 200", await AskHealthAsync(socket));
            }

            using (var extra = await ConnectAsync())
            {
                // Kestrel accepts it and closes it at once: the request gets no answer, only the end of the stream.
                Assert.Equal("", await AskHealthAsync(extra));
            }

            // The connections held are still served.
            Assert.StartsWith("HTTP/1.1 200", await AskHealthAsync(held[0]));

            held[^1].Dispose();
            held.RemoveAt(held.Count - 1);
            // The node counts a connection as gone once it has seen it close: a new one gets in as soon as it has.
            var answered = "";
            for (var attempt = 0; attempt < 50 && answered.Length == 0; attempt++)
            {
                using var next = await ConnectAsync();
                answered = await AskHealthAsync(next);
                if (answered.Length == 0)
                {
                    await Task.Delay(100, Ct);
                }
            }

            Assert.StartsWith("HTTP/1.1 200", answered);
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("Max open files            20000                20000                files     \n", 15_000)]
    [InlineData("Max cpu time              unlimited            unlimited            seconds   \nMax open files            1024                 524288               files     \n", 768)]
    [InlineData("Max open files            40                   40                   files     \n", ConnectionLimit.Minimum)]
    [InlineData("Max open files            unlimited            unlimited            files     \n", ConnectionLimit.Fallback)]
    [InlineData(null, ConnectionLimit.Fallback)]
    public void Default_IsThreeQuartersOfTheSoftOpenFileLimit(string? limits, int expected) =>
        Assert.Equal(expected, ConnectionLimit.FromLimits(limits));

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_server.BaseAddress.Host, _server.BaseAddress.Port, Ct);
        return socket;
    }

    /// <summary>Sends GET /health on the connection and returns the answer's head, or "" when the node closed it unanswered.</summary>
    private async Task<string> AskHealthAsync(Socket socket)
    {
        var request = Encoding.ASCII.GetBytes($"GET /health HTTP/1.1\r\nHost: {_server.BaseAddress.Authority}\r\n\r\n");
        try
        {
            await socket.SendAsync(request, SocketFlags.None, Ct);
            var buffer = new byte[4096];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (SocketException)
        {
            // A reset is a close too.
            return "";
        }
    }
}
