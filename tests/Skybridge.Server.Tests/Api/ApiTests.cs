using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Api;

public sealed class ApiTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ApiTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_Answers200_WithoutSignIn()
    {
        using var client = _server.Client();
        using var live = await client.GetAsync("/health", Ct);
        using var ready = await client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var doc = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Ct));
        Assert.Equal("ready", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("sqlite", doc.RootElement.GetProperty("store").GetString());
        Assert.True(doc.RootElement.GetProperty("schemaVersion").GetInt32() > 0);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheWorkflowEndpoints()
    {
        using var client = _server.Client();
        var json = await client.GetStringAsync("/openapi/v1.json", Ct);
        using var doc = JsonDocument.Parse(json);
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/workflows/{id}/versions", paths);
        Assert.Contains("/api/workflows/{id}/rollback", paths);
        Assert.Contains("/health/ready", paths);
    }

    [Fact]
    public async Task Errors_AreProblemDetails_WithAStableCode()
    {
        using var client = _server.Client();
        using var response = await client.GetAsync("/api/workflows/support-desk", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("unauthenticated", doc.RootElement.GetProperty("code").GetString());
        Assert.Equal(401, doc.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task SignIn_LocksTheAccount_AfterFiveFailures()
    {
        var accounts = (Skybridge.Application.Accounts.AccountService)_server.Services.GetService(typeof(Skybridge.Application.Accounts.AccountService))!;
        await accounts.CreateUserAsync("test", "locky", "Locky", RunningServer.Password, Ct);
        using var client = _server.Client();
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "locky", password = "wrong password " + i }, Ct);
            Assert.Contains("invalid_credentials", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using var fifth = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "locky", password = "wrong again" }, Ct);
        Assert.Contains("account_locked", await fifth.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Even the right password is refused while locked, and the answer never echoes it.
        using var right = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "locky", password = RunningServer.Password }, Ct);
        var body = await right.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Contains("account_locked", body, StringComparison.Ordinal);
        Assert.DoesNotContain(RunningServer.Password, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_UnknownUserAndWrongPassword_LookAlike()
    {
        using var client = _server.Client();
        using var unknown = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "no-such-person", password = "whatever-password" }, Ct);
        using var wrong = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName = "auditor", password = "whatever-password" }, Ct);
        Assert.Equal(unknown.StatusCode, wrong.StatusCode);
        Assert.Contains("invalid_credentials", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("invalid_credentials", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_InvalidManifest_Answers422WithEveryProblem_AndStoresNothing()
    {
        using var client = await _server.SignedInClientAsync("owner");
        var before = await _server.Store.ListVersionsAsync(RunningServer.Workflow, Ct);
        var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct))
            .Replace("consequence:", "consequnce:", StringComparison.Ordinal);
        using var response = await client.PostAsync($"/api/workflows/{RunningServer.Workflow}/versions",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("invalid_manifest", doc.RootElement.GetProperty("code").GetString());
        var diagnostics = doc.RootElement.GetProperty("diagnostics").EnumerateArray().ToList();
        Assert.Contains(diagnostics, d => d.GetProperty("suggestion").GetString() == "consequence" && d.GetProperty("line").GetInt32() > 0);
        var after = await _server.Store.ListVersionsAsync(RunningServer.Workflow, Ct);
        Assert.Equal(before.Count, after.Count);
    }

    [Fact]
    public async Task Publish_ManifestNamingAnotherWorkflow_IsRefused()
    {
        using var client = await _server.SignedInClientAsync("admin");
        var yaml = await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct);
        using var response = await client.PostAsync($"/api/workflows/{RunningServer.OtherWorkflow}/versions",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("workflow_id_mismatch", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishActivateRollback_SwitchesTheActiveVersion_AndRecordsWho()
    {
        // A workflow of its own, so other tests' expectations about support-desk stay true.
        const string wf = "returns-desk";
        using var admin = await _server.SignedInClientAsync("admin");
        // Owned by admin here, so that admin may override the evaluation gate (no run of these versions is stored).
        var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct)).Replace("id: support-desk", $"id: {wf}", StringComparison.Ordinal)
            .Replace("owner: user:maria.lopez", "owner: user:admin", StringComparison.Ordinal);

        using var v1 = await admin.PostAsync($"/api/workflows/{wf}/versions?activate=true&override_reason=pilot+kick-off+before+the+first+run", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.Created, v1.StatusCode);
        Assert.Contains("\"activated\":true", await v1.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var v2 = await admin.PostAsync($"/api/workflows/{wf}/versions", new StringContent(yaml + "\n# second revision\n", Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.Created, v2.StatusCode);
        using var same = await admin.PostAsync($"/api/workflows/{wf}/versions", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Contains("already_published", await same.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var activate = await admin.PostAsJsonAsync($"/api/workflows/{wf}/activate", new { version = 2, overrideReason = "second revision only adds a comment" }, Ct);
        Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
        Assert.Equal(2, (await _server.Store.GetWorkflowAsync(wf, Ct))!.ActiveVersion);

        using var rollback = await admin.PostAsync($"/api/workflows/{wf}/rollback", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        Assert.Equal(1, (await _server.Store.GetWorkflowAsync(wf, Ct))!.ActiveVersion);

        var history = await _server.Store.ListActivationsAsync(wf, Ct);
        Assert.Equal(["rollback", "activate", "activate"], history.Select(a => a.Kind));
        Assert.All(history, a => Assert.Equal("admin", a.Actor));

        using var unknown = await admin.PostAsJsonAsync($"/api/workflows/{wf}/activate", new { version = 9 }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown_version", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_WrongContentType_Answers415()
    {
        using var client = await _server.SignedInClientAsync("owner");
        using var response = await client.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/versions", new { yaml = "id: x" }, Ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Users_NeverExposePasswordHashes()
    {
        using var client = await _server.SignedInClientAsync("admin");
        var json = await client.GetStringAsync("/api/users", Ct);
        Assert.Contains("auditor", json, StringComparison.Ordinal);
        Assert.DoesNotContain("passwordHash", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AQAAAA", json, StringComparison.Ordinal); // the ASP.NET Core Identity v3 hash prefix
    }

    [Fact]
    public async Task LedgerOverHttp_SignedCheckpointAndInclusionProof_VerifyWithThePublishedKey()
    {
        using var admin = await _server.SignedInClientAsync("admin");
        using var signed = await admin.PostAsync("/api/ledger/checkpoint", null, Ct);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        using var reader = await _server.SignedInClientAsync("reviewer");
        var note = await reader.GetStringAsync("/api/ledger/checkpoint", Ct);
        var keys = (await reader.GetFromJsonAsync<string[]>("/api/ledger/keys", Ct))!
            .Select(k => Skybridge.Core.Ledger.LedgerVerifierKey.TryParse(k, out var key) ? key! : throw new InvalidOperationException(k)).ToList();
        var verification = Skybridge.Core.Ledger.SignedNote.Verify(note, keys);
        Assert.True(verification.IsVerified, verification.Message);
        var checkpoint = verification.Checkpoint!;

        using var proofDoc = JsonDocument.Parse(await reader.GetStringAsync($"/api/ledger/proof/inclusion?index=0&size={checkpoint.Size}", Ct));
        var proof = proofDoc.RootElement.GetProperty("proof").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToList();
        var leaf = Convert.FromHexString(proofDoc.RootElement.GetProperty("leafHash").GetString()!);
        Assert.True(Skybridge.Core.Ledger.MerkleTree.VerifyInclusion(0, checkpoint.Size, leaf, proof, checkpoint.RootHash));
        // A proof for another leaf does not verify for this one.
        Assert.False(Skybridge.Core.Ledger.MerkleTree.VerifyInclusion(1, checkpoint.Size, leaf, proof, checkpoint.RootHash));

        using var outOfRange = await reader.GetAsync($"/api/ledger/proof/inclusion?index={checkpoint.Size + 1000}&size={checkpoint.Size}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
    }
}
