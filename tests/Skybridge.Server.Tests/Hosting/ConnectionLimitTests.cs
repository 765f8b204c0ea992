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

    /// <summary>
    /// Sends GET /health on the connection and returns the whole answer, or "" when the node closed it unanswered. The
    /// answer is read to its end (its length, or a chunked body's last chunk): a part left unread would be taken for
    /// the answer to the next request on the same connection.
    /// </summary>
    private async Task<string> AskHealthAsync(Socket socket)
    {
        var request = Encoding.ASCII.GetBytes($"GET /health HTTP/1.1\r\nHost: {_server.BaseAddress.Authority}\r\n\r\n");
        var answer = new StringBuilder();
        try
        {
            await socket.SendAsync(request, SocketFlags.None, Ct);
            var buffer = new byte[4096];
            while (!Complete(answer.ToString()))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);
                if (read == 0)
                {
                    break;
                }

                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return answer.ToString();
        }
        catch (SocketException)
        {
            // A reset is a close too.
            return answer.ToString();
        }
    }

    private static bool Complete(string answer)
    {
        var headEnd = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }

        var head = answer[..headEnd];
        var body = answer[(headEnd + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is null || body.Length >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
