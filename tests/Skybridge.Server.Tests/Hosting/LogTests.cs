using System.Net;
using System.Net.Http.Json;
using System.Text;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Hosting;

/// <summary>A node whose plain-text log is written to a buffer the test reads.</summary>
public sealed class CapturedLogServer : RunningServer
{
    private readonly StringWriter _log = new();
    private readonly TextWriter _synchronized;

    public CapturedLogServer() => _synchronized = TextWriter.Synchronized(_log);

    public override async ValueTask InitializeAsync()
    {
        // The console logger takes System.Console.Out when it is created, during start-up; the original goes back at once.
        var original = System.Console.Out;
        System.Console.SetOut(_synchronized);
        try
        {
            await base.InitializeAsync();
        }
        finally
        {
            System.Console.SetOut(original);
        }
    }

    public string Log
    {
        get
        {
            lock (_synchronized)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Waits until the log (written by a background thread) contains <paramref name="text"/>.</summary>
    public async Task<string> WaitForAsync(string text)
    {
        for (var i = 0; i < 200 && !Log.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.Contains(text, Log, StringComparison.Ordinal);
        return Log;
    }
}

/// <summary>What reaches the plain-text log from a request: no unknown names, no raw control characters.</summary>
public sealed class LogTests : IClassFixture<CapturedLogServer>
{
    private readonly CapturedLogServer _server;

    public LogTests(CapturedLogServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_RefusedUnknownName_IsLoggedAsUnknownAccount_NotAsTyped()
    {
        using var client = _server.Client();
        // A password typed into the name field, with a terminal escape and a forged line.
        var typed = "Hunter2-secret\u001b[31m\r\n12:00:00 info: forged-by-name";
        using var api = await client.PostAsync("/api/auth/sign-in",
            new StringContent(System.Text.Json.JsonSerializer.Serialize(new { userName = typed, password = "x" }), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        using var form = await client.PostAsync("/signin", new FormUrlEncodedContent([new("UserName", "Form-typed-secret"), new("Password", "x")]), Ct);

        var log = await _server.WaitForAsync("Sign-in refused for unknown account");
        Assert.DoesNotContain("Hunter2-secret", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Form-typed-secret", log, StringComparison.Ordinal);
        Assert.DoesNotContain("forged-by-name", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_RefusedKnownAccount_IsLoggedByItsName()
    {
        using var client = _server.Client();
        using var api = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "auditor", password = "wrong" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        await _server.WaitForAsync("Sign-in refused for auditor: wrong credentials");
    }

    [Fact]
    public async Task AccessRefused_ControlCharactersInThePath_AreEscapedInTheLog()
    {
        using var client = await _server.SignedInClientAsync("nobody");
        using var response = await client.GetAsync("/api/workflows/probe%1B%5B2J%0D%0A12:00:00%20warn:%20forged-line", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);

        var log = await _server.WaitForAsync("forged-line");
        var line = Assert.Single(log.Split('\n'), l => l.Contains("forged-line", StringComparison.Ordinal));
        Assert.Contains("probe\\u001B[2J\\r\\n12:00:00 warn: forged-line", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', log);
        Assert.DoesNotContain('\r', log);
    }
}
