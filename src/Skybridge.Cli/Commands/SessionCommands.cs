using System.Globalization;
using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Client;

namespace Skybridge.Cli.Commands;

/// <summary>
/// <c>skybridge login|whoami|logout</c>: the CLI signs a person in with the device authorization grant (RFC 8628): it
/// shows a code, the person approves it in the console, and the CLI keeps a one-hour token bound to a key made here.
/// </summary>
internal static class SessionCommands
{

    public static IEnumerable<Command> Create(CliIo io)
    {
        yield return Login(io);
        yield return WhoAmI(io);
        yield return Logout(io);
    }

    /// <summary>The session file: <c>$SKYBRIDGE_CONFIG/session.json</c>, else <c>$XDG_CONFIG_HOME/skybridge</c>, else <c>~/.config/skybridge</c>.</summary>
    public static string SessionFile =>
        Path.Combine(Environment.GetEnvironmentVariable("SKYBRIDGE_CONFIG") is { Length: > 0 } config ? config
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "skybridge"), "session.json");

    private static Command Login(CliIo io)
    {
        var server = new Option<string>("--server") { Description = "The server's URL (default: http://127.0.0.1:5080).", HelpName = "URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var scope = new Option<string?>("--scope") { Description = "Scopes to ask for (default: all your roles allow).", HelpName = "SCOPES" };
        var command = new Command("login", "Sign in: open the link shown, approve the code in the console, and this terminal acts as you for an hour.") { server, scope };
        command.SetAction(async (parse, ct) =>
        {
            if (!Uri.TryCreate(parse.GetValue(server)!.TrimEnd('/'), UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https"))
            {
                io.Fail($"--server '{parse.GetValue(server)}' is not an http(s) URL.");
                return ExitCodes.InvalidInput;
            }

            // The device grant itself (RFC 8628: polling interval, slow_down, nonce) is the client library's; the CLI shows and keeps.
            using var signIn = new SkybridgeDeviceSignIn(issuer);
            SkybridgeDeviceCode code;
            try
            {
                code = await signIn.StartAsync(parse.GetValue(scope), ct).ConfigureAwait(false);
            }
            catch (SkybridgeTokenException ex)
            {
                io.Fail($"The server refused to start a sign-in: {ex.Error} ({ex.ErrorDescription}).");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                io.Fail($"Cannot reach {issuer}: {ex.Message}", "Is the server running? Pass its address with --server.");
                return ExitCodes.Failed;
            }

            io.Output.WriteLine($"Open {code.VerificationUriComplete ?? code.VerificationUri}");
            io.Output.WriteLine($"and approve the code {code.UserCode} (valid for {(int)Math.Round((code.ExpiresAt - DateTimeOffset.UtcNow).TotalMinutes)} minutes).");
            io.Output.Flush();
            try
            {
                var token = await signIn.WaitForApprovalAsync(code, ct).ConfigureAwait(false);
                await SaveAsync(issuer, token, signIn.Key, ct).ConfigureAwait(false);
                io.Output.WriteLine($"Signed in to {issuer} for {(int)Math.Round((token.ExpiresAt - DateTimeOffset.UtcNow).TotalMinutes)} minutes (scope: {token.Scope}).");
                io.Output.WriteLine($"Session: {SessionFile} (readable only by you).");
                return ExitCodes.Ok;
            }
            catch (SkybridgeTokenException ex) when (ex.Error == "access_denied")
            {
                io.Fail("The sign-in was denied in the console.");
                return ExitCodes.Failed;
            }
            catch (SkybridgeTokenException ex)
            {
                io.Fail($"Sign-in failed: {ex.Error} ({ex.ErrorDescription}).", "Start again with skybridge login.");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command WhoAmI(CliIo io)
    {
        var command = new Command("whoami", "Show who this terminal is signed in as, and with what scope (asks the server).");
        command.SetAction(async (parse, ct) =>
        {
            if (await LoadAsync(io, ct).ConfigureAwait(false) is not { } session)
            {
                return ExitCodes.Failed;
            }

            using (session.Key)
            {
                using var http = new HttpClient(new SkybridgeAgentHandler(session) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = session.Server };
                using var response = await http.GetAsync("/api/agent/whoami", ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    io.Fail($"The server refused the session ({(int)response.StatusCode}: {response.Headers.WwwAuthenticate}).", "Sign in again with skybridge login.");
                    return ExitCodes.Failed;
                }

                var me = await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
                io.Output.WriteLine($"{Text(me, "subject")} on {session.Server} (scope: {Text(me, "scope")}; until {session.ExpiresAt:u})");
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    /// <summary>Submits a case to the signed-in server (<c>POST /api/cases</c>) and returns the draft, or null after saying why.</summary>
    public static async Task<JsonObject?> AskServerAsync(CliIo io, string workflow, string text, CancellationToken ct, IReadOnlyDictionary<string, string>? attributes = null)
    {
        if (await LoadAsync(io, ct).ConfigureAwait(false) is not { } session)
        {
            io.Error.WriteLine("  hint: or pass a manifest file to answer here, without a server: skybridge ask samples/support-desk/manifest.yaml \"...\"");
            return null;
        }

        using (session.Key)
        {
            using var http = new HttpClient(new SkybridgeAgentHandler(session) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = session.Server };
            using var response = await http.PostAsJsonAsync("/api/cases", new { workflow, text, attributes }, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                io.Fail($"The server refused the case ({(int)response.StatusCode}): {(body.Length > 0 ? body : response.Headers.WwwAuthenticate.ToString())}");
                return null;
            }

            return JsonNode.Parse(body)!.AsObject();
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> with an HTTP client that acts as the signed-in person (their DPoP-bound token); when
    /// nobody is signed in, says how to and returns <see cref="ExitCodes.Failed"/>.
    /// </summary>
    public static async Task<int> WithServerAsync(CliIo io, Func<HttpClient, Task<int>> call, CancellationToken ct)
    {
        if (await LoadAsync(io, ct).ConfigureAwait(false) is not { } session)
        {
            return ExitCodes.Failed;
        }

        using (session.Key)
        {
            using var http = new HttpClient(new SkybridgeAgentHandler(session) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = session.Server };
            try
            {
                return await call(http).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                io.Fail($"Cannot reach {session.Server}: {ex.Message}", "Is the server running?");
                return ExitCodes.Failed;
            }
        }
    }

    private static Command Logout(CliIo io)
    {
        var command = new Command("logout", "Sign out: revoke this terminal's token on the server, then forget the session (the token and its key).");
        command.SetAction(async (_, ct) =>
        {
            if (!File.Exists(SessionFile))
            {
                io.Output.WriteLine("Not signed in.");
                return ExitCodes.Ok;
            }

            // The server first (RFC 7009, as the public client skybridge-cli): a copy of the token left anywhere stops
            // working too. The local session goes whatever the server says; a token it could not revoke expires on its own.
            var revoked = await RevokeOnServerAsync(ct).ConfigureAwait(false);
            File.Delete(SessionFile);
            io.Output.WriteLine(revoked is null
                ? "Signed out: the token is revoked on the server, and the session and its key are deleted."
                : $"Signed out here: the session and its key are deleted, but the server could not revoke the token ({revoked}); it expires on its own.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Revokes the stored session's token on its server; null on success, else why not.</summary>
    private static async Task<string?> RevokeOnServerAsync(CancellationToken ct)
    {
        string server, token;
        try
        {
            await using var stream = File.OpenRead(SessionFile);
            using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
            (server, token) = (Text(doc.RootElement, "server"), Text(doc.RootElement, "access_token"));
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return "the session file is damaged";
        }

        if (!Uri.TryCreate(server, UriKind.Absolute, out var issuer) || token.Length == 0)
        {
            return "the session names no server or token";
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.PostAsync(new Uri(issuer, "/oauth/revoke"), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["token"] = token,
                ["token_type_hint"] = "access_token",
                ["client_id"] = "skybridge-cli",
            }), ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"it answered {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return $"cannot reach {issuer}";
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static async Task SaveAsync(Uri server, SkybridgeToken token, DPoPKey key, CancellationToken ct)
    {
        var session = new Dictionary<string, object>
        {
            ["server"] = server.ToString().TrimEnd('/'),
            ["access_token"] = token.AccessToken,
            ["expires_at"] = token.ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["scope"] = token.Scope ?? "",
            ["dpop_key"] = key.ExportPrivateJwk(),
        };
        var folder = Path.GetDirectoryName(SessionFile)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Written beside and moved over: never a half-written session, never readable by others.
        var temp = SessionFile + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        {
            await JsonSerializer.SerializeAsync(stream, session, cancellationToken: ct).ConfigureAwait(false);
        }

        File.Move(temp, SessionFile, overwrite: true);
    }

    private static async Task<Session?> LoadAsync(CliIo io, CancellationToken ct)
    {
        if (!File.Exists(SessionFile))
        {
            io.Fail("Not signed in.", "Run skybridge login --server URL.");
            return null;
        }

        try
        {
            await using var stream = File.OpenRead(SessionFile);
            using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
            var root = doc.RootElement;
            var expires = DateTimeOffset.Parse(Text(root, "expires_at"), System.Globalization.CultureInfo.InvariantCulture);
            if (expires <= DateTimeOffset.UtcNow)
            {
                io.Fail("The session has expired.", "Run skybridge login again.");
                return null;
            }

            var jwk = root.GetProperty("dpop_key").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            return new Session(new Uri(Text(root, "server")), Text(root, "access_token"), expires, DPoPKey.Import(jwk));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            io.Fail($"{SessionFile} is damaged.", "Run skybridge logout, then skybridge login.");
            return null;
        }
    }

    /// <summary>A stored session: a fixed token and the key it is bound to.</summary>
    private sealed class Session(Uri server, string token, DateTimeOffset expiresAt, DPoPKey key) : ISkybridgeTokenSource
    {
        private string? _nonce;

        public Uri Server { get; } = server;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public DPoPKey Key { get; } = key;

        public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(token);

        public void Invalidate(string accessToken)
        {
        }

        public string? NonceFor(Uri uri) => _nonce;

        public void Remember(Uri uri, HttpResponseMessage response)
        {
            if (response.Headers.TryGetValues("DPoP-Nonce", out var values))
            {
                _nonce = values.FirstOrDefault();
            }
        }
    }

    /// <summary>Says what the server refused, with its stable code and every problem it listed.</summary>
    internal static int Refused(CliIo io, HttpResponseMessage response, string body)
    {
        JsonObject? problem = null;
        try
        {
            problem = body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null;
        }
        catch (JsonException)
        {
            // Not a problem document: the status says enough.
        }

        var code = (string?)problem?["code"] ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        var detail = (string?)problem?["detail"] ?? (string?)problem?["title"] ?? response.ReasonPhrase ?? "";
        io.Fail($"{code}: {detail}", response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? "Sign in again with skybridge login." : null);
        foreach (var p in (problem?["problems"] as JsonArray ?? []).OfType<JsonObject>())
        {
            io.Error.WriteLine($"  {(string?)p["code"]} {(string?)p["parameter"]}: {(string?)p["message"]}");
        }

        return (int)response.StatusCode is 400 ? ExitCodes.InvalidInput : ExitCodes.Failed;
    }
}
