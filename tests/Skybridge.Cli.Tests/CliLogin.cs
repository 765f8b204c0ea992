using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Tokens;

namespace Skybridge.Cli.Tests;

/// <summary>
/// Signs this process's CLI in to a running node as <c>skybridge login</c> does (the device grant), approving the code it
/// prints as <paramref name="userName"/> would at /device. The token goes to $SKYBRIDGE_CONFIG, which the caller sets.
/// </summary>
internal static partial class CliLogin
{
    [GeneratedRegex("code ([A-Z]{4}-[A-Z]{4})")]
    private static partial Regex UserCode();

    public static async Task AsAsync(WebApplication app, string url, string userName, CancellationToken ct)
    {
        var output = new StringWriter();
        var io = new CliIo(TextWriter.Synchronized(output), TextWriter.Synchronized(new StringWriter()), new StringReader(""), inputRedirected: true);
        var login = CliApp.RunAsync(["login", "--server", url], io, ct);
        string? code = null;
        for (var i = 0; i < 100 && code is null; i++)
        {
            await Task.Delay(100, ct);
            code = UserCode().Match(output.ToString()) is { Success: true } m ? m.Groups[1].Value : null;
        }

        Assert.NotNull(code);
        Assert.Equal(DeviceApproval.Approved, await app.Services.GetRequiredService<DeviceAuthorizationService>().ApproveAsync(code, userName, approve: true, ct));
        Assert.Equal(0, await login);
    }
}
