using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>
/// Any conforming OAuth 2.0 / JOSE library must be able to get and use Skybridge tokens. This runs oauth4webapi and
/// jose (Node.js, from npm) against a real node: discovery, private_key_jwt + DPoP with nonce retry, a protected call,
/// token exchange, revocation; jose verifies every token against the published JWKS and checks its key binding.
/// </summary>
public sealed class ConformanceTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ConformanceTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Folder => Path.Combine(RepoPaths.Root, "tests", "Skybridge.Client.Tests", "Conformance");

    [Fact]
    public async Task Oauth4webapi_GetsAndUsesTokens_ByTheRfcs()
    {
        var node = Which("node") ?? throw new InvalidOperationException("node is not installed: scripts/test.sh installs it (apt-get install nodejs npm).");
        // node_modules stays in the folder (git-ignored) as a cache, stamped with the hash of the lock file it was
        // installed from; a changed lock file (or no cache) means a fresh `npm ci`, which installs exactly its versions.
        var stamp = Path.Combine(Folder, "node_modules", ".skybridge-lock.sha256");
        var lockHash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(Folder, "package-lock.json"), Ct)));
        if (!File.Exists(stamp) || await File.ReadAllTextAsync(stamp, Ct) != lockHash)
        {
            var npm = Which("npm") ?? throw new InvalidOperationException("npm is not installed: scripts/test.sh installs it (apt-get install npm).");
            var install = await RunAsync(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
            Assert.True(install.Code == 0, "npm ci failed: " + install.Error);
            await File.WriteAllTextAsync(stamp, lockHash, Ct);
        }

        var parent = await CredentialsFileAsync("responder");
        var child = await CredentialsFileAsync("researcher");
        (int Code, string Output, string Error) run;
        try
        {
            run = await RunAsync(node, ["conformance.mjs", _server.BaseAddress.ToString().TrimEnd('/'), parent, child]);
        }
        finally
        {
            File.Delete(parent);
            File.Delete(child);
        }

        Assert.True(run.Code == 0, run.Error);

        using var doc = JsonDocument.Parse(run.Output);
        var root = doc.RootElement;
        Assert.Equal("dpop", root.GetProperty("parent").GetProperty("token_type").GetString());
        Assert.True(root.GetProperty("parent").GetProperty("kidIsThumbprint").GetBoolean());
        var parentClaims = root.GetProperty("parent").GetProperty("claims");
        Assert.Equal("at+jwt", parentClaims.GetProperty("typ").GetString());
        Assert.True(parentClaims.GetProperty("boundToDPoPKey").GetBoolean());
        Assert.Equal(parentClaims.GetProperty("sub").GetString(), parentClaims.GetProperty("client_id").GetString());
        Assert.Equal(JsonValueKind.Null, parentClaims.GetProperty("act").ValueKind);
        Assert.Equal(300, root.GetProperty("parent").GetProperty("expires_in").GetInt32());
        Assert.Equal(200, root.GetProperty("parent").GetProperty("call").GetProperty("status").GetInt32());
        var child2 = root.GetProperty("child");
        Assert.Equal("cases:read", child2.GetProperty("scope").GetString());
        var childClaims = child2.GetProperty("claims");
        Assert.True(childClaims.GetProperty("boundToDPoPKey").GetBoolean());
        // The sub-agent acts for the parent: the parent stays the subject, the sub-agent is the actor (RFC 8693 4.1).
        Assert.Equal(parentClaims.GetProperty("sub").GetString(), childClaims.GetProperty("sub").GetString());
        Assert.Equal(childClaims.GetProperty("client_id").GetString(), childClaims.GetProperty("act").GetProperty("sub").GetString());
        Assert.Equal("cases:read", childClaims.GetProperty("scope").GetString());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", child2.GetProperty("issued_token_type").GetString());
        Assert.Equal(200, child2.GetProperty("call").GetProperty("status").GetInt32());
        Assert.Single(child2.GetProperty("call").GetProperty("body").GetProperty("actors").EnumerateArray());
        Assert.Equal(401, root.GetProperty("stolen").GetProperty("status").GetInt32());
        Assert.Equal(401, root.GetProperty("afterRevocation").GetProperty("status").GetInt32());
        Assert.Equal("invalid_token", root.GetProperty("afterRevocation").GetProperty("error").GetString());
    }

    private async Task<string> CredentialsFileAsync(string role)
    {
        var pair = AgentKeyPair.Generate();
        var name = role + "-" + Guid.NewGuid().ToString("N")[..6];
        var result = await _server.Services.GetRequiredService<AgentService>().RegisterAsync("admin", RunningServer.Workflow, name, role, pair.PublicJwk, Ct);
        Assert.Equal(AgentOutcome.Done, result.Outcome);
        var path = Path.Combine(Path.GetTempPath(), $"skybridge-{name}.agent.json");
        // Private keys: readable by this account only, as the CLI writes them.
        await File.WriteAllTextAsync(path, "", Ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await File.WriteAllTextAsync(path, pair.CredentialsJson(_server.BaseAddress.ToString().TrimEnd('/'), result.Agent!.ClientId, RunningServer.Workflow, role, ""), Ct);
        return path;
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static async Task<(int Code, string Output, string Error)> RunAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
