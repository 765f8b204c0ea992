using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Api;

/// <summary>
/// Malformed input never makes the server fail: every refusal is a 4xx with RFC 9457 problem details and a stable
/// <c>code</c>, before and after sign-in. The last test walks the server's own OpenAPI document.
/// </summary>
public sealed class MalformedInputTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public MalformedInputTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Bytes that are not UTF-8 (a lone continuation byte and an overlong encoding) inside a JSON string.</summary>
    private static byte[] InvalidUtf8Json(string before, string after) =>
        [.. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, 0xC0, 0xAF, 0x80, .. Encoding.UTF8.GetBytes(after)];

    private async Task<HttpClient> SignedInAsync(string userName)
    {
        return await _server.SignedInClientAsync(userName);
    }

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {status}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal((int)status, doc.RootElement.GetProperty("status").GetInt32());
        var code = doc.RootElement.GetProperty("code").GetString();
        Assert.False(string.IsNullOrEmpty(code));
        return code!;
    }

    private static ByteArrayContent Json(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    [Fact]
    public async Task SignIn_BogusCharset_Is415ProblemBeforeSignIn()
    {
        using var client = _server.Client();
        using var response = await client.PostAsync("/api/auth/sign-in",
            Json(Encoding.UTF8.GetBytes("""{"userName":"owner","password":"x"}"""), "application/json; charset=bogus"), Ct);
        Assert.Equal("unsupported_charset", await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType));
    }

    [Fact]
    public async Task SignIn_InvalidUtf8Body_Is400Problem()
    {
        using var client = _server.Client();
        using var response = await client.PostAsync("/api/auth/sign-in",
            Json(InvalidUtf8Json("{\"userName\":\"owner", "\",\"password\":\"x\"}"), "application/json"), Ct);
        Assert.Equal("malformed_body", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task RegisterAgent_WithoutPublicKey_Is400Problem()
    {
        using var client = await SignedInAsync("owner");
        using var response = await client.PostAsync($"/api/workflows/{RunningServer.Workflow}/agents",
            Json(Encoding.UTF8.GetBytes("""{"name":"no-key","role":"responder"}"""), "application/json"), Ct);
        Assert.Equal("malformed_body", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task GrantRole_WithoutUserName_Is400Problem()
    {
        using var client = await SignedInAsync("admin");
        using var response = await client.PostAsync($"/api/workflows/{RunningServer.Workflow}/roles",
            Json(Encoding.UTF8.GetBytes("""{"role":"reviewer"}"""), "application/json"), Ct);
        Assert.Equal("malformed_body", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task RotateKey_EmptyObject_Is400Problem()
    {
        using var client = await SignedInAsync("owner");
        using var response = await client.PutAsync($"/api/workflows/{RunningServer.Workflow}/agents/anyone/key",
            Json("{}"u8.ToArray(), "application/json"), Ct);
        Assert.Equal("malformed_body", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task InclusionProof_MalformedQueryParameter_Is400ProblemNamingIt()
    {
        using var client = await SignedInAsync("admin");
        using var response = await client.GetAsync("/api/ledger/proof/inclusion?index=abc&size=1", Ct);
        Assert.Equal("invalid_parameter", await AssertProblemAsync(response, HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("TRACE", "/")]
    [InlineData("TRACE", "/signin")]
    [InlineData("TRACE", "/workflows/support-desk")]
    [InlineData("PROPFIND", "/")]
    [InlineData("TRACE", "/api/workflows")]
    public async Task UnknownMethod_Is405Problem(string method, string path)
    {
        using var client = await SignedInAsync("admin");
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);
        Assert.Equal("method_not_allowed", await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed));
    }

    // ---- every operation of the OpenAPI document ------------------------------------------------------

    private sealed record Operation(string Method, string Template, IReadOnlyList<(string Name, bool IsInteger)> PathParameters);

    private async Task<List<Operation>> OperationsAsync()
    {
        using var client = _server.Client();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var operations = new List<Operation>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                if (op.Name is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }

                var parameters = new List<(string, bool)>();
                if (op.Value.TryGetProperty("parameters", out var list))
                {
                    foreach (var p in list.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "path"))
                    {
                        var type = p.TryGetProperty("schema", out var schema) && schema.TryGetProperty("type", out var t) ? t.ToString() : "string";
                        parameters.Add((p.GetProperty("name").GetString()!, type.Contains("integer", StringComparison.Ordinal)));
                    }
                }

                operations.Add(new Operation(op.Name.ToUpperInvariant(), path.Name, parameters));
            }
        }

        // Signing out ends the admin's session: last, so the other operations are tried signed in.
        return [.. operations.OrderBy(o => o.Template.EndsWith("/sign-out", StringComparison.Ordinal))];
    }

    private static string Fill(Operation operation, string? odd)
    {
        var path = operation.Template;
        foreach (var (name, isInteger) in operation.PathParameters)
        {
            var value = odd ?? (isInteger ? "1" : name switch
            {
                "id" => RunningServer.Workflow,
                "role" => "reviewer",
                "userName" => "reviewer",
                _ => "probe",
            });
            path = path.Replace("{" + name + "}", value, StringComparison.Ordinal);
        }

        return path;
    }

    /// <summary>Path segments an attacker would try: traversal, NUL, invalid UTF-8, huge numbers, very long.</summary>
    private static readonly string[] OddSegments =
    [
        "%2e%2e", "a%00b", "%C3%28", "%FF%FE", "-1", "99999999999999999999", "%20", "%E2%80%AE" + "x", new string('a', 3000),
        "%3Cscript%3E", "a%2Fb", "%25",
    ];

    private static IEnumerable<(string Name, Func<HttpContent?> Body)> Bodies()
    {
        static HttpContent Raw(byte[] bytes, string type) => Json(bytes, type);
        yield return ("none", () => null);
        yield return ("{}", () => Raw("{}"u8.ToArray(), "application/json"));
        yield return ("[]", () => Raw("[]"u8.ToArray(), "application/json"));
        yield return ("null", () => Raw("null"u8.ToArray(), "application/json"));
        yield return ("wrong types", () => Raw(Encoding.UTF8.GetBytes(
            """{"name":{},"role":[],"publicKey":"x","userName":1,"password":true,"version":"one","reason":7,"text":false,"workflow":[],"displayName":{}}"""), "application/json"));
        yield return ("nulls", () => Raw(Encoding.UTF8.GetBytes(
            """{"name":null,"role":null,"publicKey":null,"userName":null,"password":null,"version":null,"reason":null,"text":null}"""), "application/json"));
        yield return ("invalid utf-8", () => Raw(InvalidUtf8Json("{\"name\":\"", "\",\"userName\":\"x\",\"text\":\"y\"}"), "application/json"));
        yield return ("bogus charset", () => Raw("{}"u8.ToArray(), "application/json; charset=bogus"));
        yield return ("utf-16 charset", () => Raw(Encoding.Unicode.GetBytes("{}"), "application/json; charset=utf-16"));
        yield return ("truncated", () => Raw("{\"name\":"u8.ToArray(), "application/json"));
        yield return ("deep", () => Raw(Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)), "application/json"));
        yield return ("wrong content type", () => Raw("{}"u8.ToArray(), "application/xml"));
        yield return ("text/plain", () => Raw("""{"name":"x"}"""u8.ToArray(), "text/plain"));
        yield return ("yaml garbage", () => Raw(InvalidUtf8Json("id: [", ""), "application/yaml"));
        yield return ("form", () => Raw("a=1&a=2&%ZZ=%"u8.ToArray(), "application/x-www-form-urlencoded"));
        yield return ("no content type", () => new ByteArrayContent("{}"u8.ToArray()));
    }

    [Fact]
    public async Task EveryOperation_MalformedRequests_NeverAnswer5xx()
    {
        var operations = await OperationsAsync();
        Assert.True(operations.Count > 20, $"the OpenAPI document lists only {operations.Count} operations");

        using var anonymous = _server.Client();
        using var admin = await SignedInAsync("admin");
        using var junkDpop = _server.Client();
        junkDpop.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "DPoP not.a.token");
        junkDpop.DefaultRequestHeaders.TryAddWithoutValidation("DPoP", "e30.e30.");
        var clients = new[] { ("anonymous", anonymous), ("junk DPoP", junkDpop), ("admin", admin) };

        var failures = new List<string>();
        var sent = 0;
        foreach (var operation in operations)
        {
            var method = new HttpMethod(operation.Method);
            var requests = new List<(string Label, string Path, Func<HttpContent?> Body)>();
            requests.AddRange(Bodies().Select(b => (b.Name, Fill(operation, null), b.Body)));
            requests.AddRange(OddSegments.Where(_ => operation.PathParameters.Count > 0)
                .Select(s => ($"path {s[..Math.Min(s.Length, 20)]}", Fill(operation, s), (Func<HttpContent?>)(() => Json("{}"u8.ToArray(), "application/json")))));
            // Oversized: larger than the server's body limit, once per operation that takes a body.
            if (operation.Method is "POST" or "PUT" or "PATCH")
            {
                requests.Add(("oversized", Fill(operation, null), () => Json(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 5 * 1024 * 1024) + "\"}"), "application/json")));
            }

            foreach (var (clientName, client) in clients)
            {
                foreach (var (label, path, body) in requests)
                {
                    using var request = new HttpRequestMessage(method, path) { Content = body() };
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.SendAsync(request, Ct);
                    }
                    catch (HttpRequestException) when (label == "oversized")
                    {
                        // Kestrel may close the connection on a body over its limit before the client finishes sending.
                        continue;
                    }

                    using (response)
                    {
                        sent++;
                        if ((int)response.StatusCode >= 500)
                        {
                            var text = await response.Content.ReadAsStringAsync(Ct);
                            failures.Add($"{clientName} {operation.Method} {path[..Math.Min(path.Length, 120)]} [{label}]: {(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed with 5xx:\n" + string.Join("\n", failures.Take(60)));
    }
}
