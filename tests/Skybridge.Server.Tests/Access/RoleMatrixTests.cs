using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Ledger;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Access;

/// <summary>
/// Walks every endpoint and console page × every role × the caller's own workflow and another team's workflow,
/// and proves nobody gets what their role does not allow: signed in with the session cookie, and with a person's own
/// DPoP-bound token (the CLI's), whose scope narrows further. The expected table is written out here on purpose,
/// independently of the production table, so that a change there must be made consciously in both places
/// (<see cref="ExpectedTable_IsTheProductionTable"/> fails otherwise).
/// </summary>
public sealed class RoleMatrixTests : IClassFixture<RunningServer>
{
    // Who may do what, as the product promises it (README "People and roles").
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["read-workflow"] = ["owner", "approver", "reviewer", "auditor", "operator", "admin"],
        ["read-manifest"] = ["owner", "auditor", "operator", "admin"],
        ["publish"] = ["owner", "admin"],
        ["activate"] = ["owner", "admin"],
        ["read-roles"] = ["owner", "auditor", "admin"],
        ["manage-roles"] = ["owner", "admin"],
        ["manage-users"] = ["admin"],
        ["read-ledger-events"] = ["admin"],
        ["manage-agents"] = ["owner", "admin"],
        ["halt"] = ["owner", "operator", "admin"],
        ["submit-case"] = ["owner", "operator", "admin"],
        ["read-case"] = ["owner", "approver", "reviewer", "auditor", "operator", "admin"],
        ["read-case-trail"] = ["owner", "auditor", "operator", "admin"],
        ["propose-action"] = [],
        ["read-approvals"] = ["owner", "approver", "auditor", "operator", "admin"],
        ["decide-approval"] = ["approver", "admin"],
        ["replay-policy"] = ["owner", "auditor", "operator", "admin"],
        ["read-reviews"] = ["owner", "reviewer", "auditor", "operator", "admin"],
        ["submit-review"] = ["reviewer", "admin"],
        ["signed-in"] = ["owner", "approver", "reviewer", "auditor", "operator", "admin", "nobody"],
    };

    // The scope a person's token needs for each (docs/identity.md, "Scopes of person tokens").
    private static readonly Dictionary<string, string> Scopes = new()
    {
        ["read-workflow"] = "workflows:read",
        ["read-manifest"] = "workflows:read",
        ["publish"] = "workflows:write",
        ["activate"] = "workflows:write",
        ["read-roles"] = "workflows:read",
        ["manage-roles"] = "people:manage",
        ["manage-users"] = "people:manage",
        ["read-ledger-events"] = "ledger:read",
        ["manage-agents"] = "agents:manage",
        ["halt"] = "workflows:halt",
        ["submit-case"] = "cases:write",
        ["read-case"] = "cases:read",
        ["read-case-trail"] = "ledger:read",
        ["propose-action"] = "actions:propose",
        ["read-approvals"] = "approvals:read",
        ["decide-approval"] = "approvals:decide",
        ["replay-policy"] = "ledger:read",
        ["read-reviews"] = "reviews:read",
        ["submit-review"] = "reviews:write",
    };

    private static readonly string AllPersonScopes = string.Join(' ', Scopes.Values.Distinct().Order(StringComparer.Ordinal));

    /// <param name="TokenOnly">A DPoP-bound token only (the case API): the session cookie is not accepted there.</param>
    private sealed record Probe(string Name, string Permission, HttpMethod Method, string Path, Func<HttpContent?> Body, bool WorkflowScoped = true, bool Console = false, bool TokenOnly = false);

    private readonly RunningServer _server;

    public RoleMatrixTests(RunningServer server) => _server = server;

    private static IEnumerable<Probe> Probes(string wf, string yaml, string? caseId = null, string? approvalId = null, string? calibrationId = null) =>
    [
        new("workflow", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}", () => null),
        new("versions", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}/versions", () => null),
        new("activations", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}/activations", () => null),
        new("version yaml", "read-manifest", HttpMethod.Get, $"/api/workflows/{wf}/versions/1", () => null),
        // Re-publishing identical content stores nothing new, so the probe does not change what later probes see.
        new("publish", "publish", HttpMethod.Post, $"/api/workflows/{wf}/versions", () => new StringContent(yaml, Encoding.UTF8, "application/yaml")),
        new("activate", "activate", HttpMethod.Post, $"/api/workflows/{wf}/activate", () => JsonContent.Create(new { version = 1 })),
        new("rollback", "activate", HttpMethod.Post, $"/api/workflows/{wf}/rollback", () => null),
        new("roles", "read-roles", HttpMethod.Get, $"/api/workflows/{wf}/roles", () => null),
        new("grant", "manage-roles", HttpMethod.Post, $"/api/workflows/{wf}/roles", () => JsonContent.Create(new { userName = "bystander", role = "reviewer" })),
        new("revoke", "manage-roles", HttpMethod.Delete, $"/api/workflows/{wf}/roles/bystander/reviewer", () => null),
        new("agents", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}/agents", () => null),
        new("halt state", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}/halt", () => null),
        new("approvals", "read-approvals", HttpMethod.Get, $"/api/workflows/{wf}/approvals", () => null),
        new("approval", "read-approvals", HttpMethod.Get, $"/api/approvals/{approvalId ?? "approval-none"}", () => null),
        new("register agent", "manage-agents", HttpMethod.Post, $"/api/workflows/{wf}/agents", () => JsonContent.Create(new
        {
            name = "probe-" + Guid.NewGuid().ToString("N")[..8],
            role = "responder",
            publicKey = JsonDocument.Parse(Skybridge.Application.Agents.AgentKeyPair.Generate().PublicJwk).RootElement,
        })),
        // Halt then resume right away, so the probes after them see a running workflow.
        new("halt", "halt", HttpMethod.Post, $"/api/workflows/{wf}/halt", () => JsonContent.Create(new { reason = "role matrix probe" })),
        new("resume", "halt", HttpMethod.Post, $"/api/workflows/{wf}/resume", () => JsonContent.Create(new { reason = "role matrix probe" })),
        new("users", "manage-users", HttpMethod.Get, "/api/users", () => null, WorkflowScoped: false),
        new("create user", "manage-users", HttpMethod.Post, "/api/users", () => JsonContent.Create(new { userName = "new-" + Guid.NewGuid().ToString("N")[..8], password = RunningServer.Password }), WorkflowScoped: false),
        new("groups", "manage-users", HttpMethod.Get, "/api/groups", () => null, WorkflowScoped: false),
        // Adding someone already in the group (the fixture's approver) changes nothing for the probes after it.
        new("add group member", "manage-users", HttpMethod.Post, "/api/groups/support-leads/members", () => JsonContent.Create(new { userName = "approver" }), WorkflowScoped: false),
        new("remove group member", "manage-users", HttpMethod.Delete, "/api/groups/probe-group/members/bystander", () => null, WorkflowScoped: false),
        new("ledger events", "read-ledger-events", HttpMethod.Get, "/api/ledger/events", () => null, WorkflowScoped: false),
        new("ledger checkpoint now", "read-ledger-events", HttpMethod.Post, "/api/ledger/checkpoint", () => null, WorkflowScoped: false),
        new("ledger checkpoint", "signed-in", HttpMethod.Get, "/api/ledger/checkpoint", () => null, WorkflowScoped: false),
        new("ledger keys", "signed-in", HttpMethod.Get, "/api/ledger/keys", () => null, WorkflowScoped: false),
        new("inclusion proof", "signed-in", HttpMethod.Get, "/api/ledger/proof/inclusion?index=0&size=1", () => null, WorkflowScoped: false),
        new("console workflow", "read-workflow", HttpMethod.Get, $"/workflows/{wf}", () => null, Console: true),
        new("console version", "read-manifest", HttpMethod.Get, $"/workflows/{wf}/versions/1", () => null, Console: true),
        new("console approvals inbox", "read-approvals", HttpMethod.Get, $"/workflows/{wf}/approvals", () => null, Console: true),
        new("console approval", "read-approvals", HttpMethod.Get, $"/approvals/{approvalId ?? "approval-none"}", () => null, Console: true),
        new("console case list", "read-case", HttpMethod.Get, $"/workflows/{wf}/cases", () => null, Console: true),
        new("console agents", "read-workflow", HttpMethod.Get, $"/workflows/{wf}/agents", () => null, Console: true),
        new("console evaluation runs", "read-workflow", HttpMethod.Get, $"/workflows/{wf}/evaluations", () => null, Console: true),
        new("console review queue", "read-reviews", HttpMethod.Get, $"/workflows/{wf}/reviews", () => null, Console: true),
        new("console calibrations", "read-workflow", HttpMethod.Get, $"/workflows/{wf}/calibrations", () => null, Console: true),
        new("console calibration", "read-workflow", HttpMethod.Get, $"/calibrations/{calibrationId ?? "cal-none"}", () => null, Console: true),
        new("calibrations", "read-workflow", HttpMethod.Get, $"/api/workflows/{wf}/calibrations", () => null),
        new("calibration", "read-workflow", HttpMethod.Get, $"/api/calibrations/{calibrationId ?? "cal-none"}", () => null),
        // A decision for another call than the one shown: refused by the approval (409) for those the table lets in,
        // so the probe changes nothing.
        new("decide approval", "decide-approval", HttpMethod.Post, $"/api/approvals/{approvalId ?? "approval-none"}/decision", () => JsonContent.Create(new { decision = "approve", callDigest = new string('0', 64) })),
        // Replaying the workflow's own manifest as the candidate reads the ledger and stores nothing.
        new("policy replay", "replay-policy", HttpMethod.Post, $"/api/workflows/{wf}/policy/replay", () => new StringContent(yaml, Encoding.UTF8, "application/yaml")),
        new("review queue", "read-reviews", HttpMethod.Get, $"/api/workflows/{wf}/reviews?status=overdue", () => null),
        new("review summary", "read-reviews", HttpMethod.Get, $"/api/workflows/{wf}/reviews/summary", () => null),
        // A verdict no review has: refused (400) for those the table lets in, so the probe changes nothing.
        new("submit review", "submit-review", HttpMethod.Post, $"/api/reviews/case-review-probe-{wf}", () => JsonContent.Create(new { correctness = "probe", citations = "ok", action = "right" })),
        // Nothing is ingested on this node, so a case abstains: still a 201 with its draft.
        new("submit case", "submit-case", HttpMethod.Post, "/api/cases", () => JsonContent.Create(new { workflow = wf, text = "Where is my parcel?" }), TokenOnly: true),
        new("read case", "read-case", HttpMethod.Get, $"/api/cases/{caseId ?? "case-none"}", () => null, TokenOnly: true),
        new("read case trail", "read-case-trail", HttpMethod.Get, $"/api/cases/{caseId ?? "case-none"}/trail", () => null, TokenOnly: true),
    ];

    public static TheoryData<string> Callers() => ["owner", "approver", "reviewer", "auditor", "operator", "admin", "nobody", "(anonymous)"];

    [Fact]
    public void ExpectedTable_IsTheProductionTable()
    {
        var names = Allowed.Keys.Where(k => k != "signed-in").ToList();
        Assert.Equal(Enum.GetValues<Permission>().Length, names.Count);
        foreach (var name in names)
        {
            var permission = Enum.Parse<Permission>(string.Concat(name.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])) switch
            {
                "Publish" => "PublishManifest",
                "Activate" => "ActivateVersion",
                "Halt" => "HaltWorkflow",
                var other => other,
            });
            Assert.Equal(Allowed[name].Order(), AccessRules.RolesFor(permission).Select(r => r.ToName()).Order());
            Assert.Equal(Scopes[name], AccessRules.ScopeFor(permission));
        }
    }

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task EveryEndpoint_AnswersByRole_OnOwnAndOtherWorkflow(string caller)
    {
        using var client = caller == "(anonymous)" ? _server.Client() : await _server.SignedInClientAsync(caller);
        var failures = new List<string>();
        foreach (var wf in new[] { RunningServer.Workflow, RunningServer.OtherWorkflow })
        {
            var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest, TestContext.Current.CancellationToken)).Replace("id: support-desk", $"id: {wf}", StringComparison.Ordinal);
            foreach (var probe in Probes(wf, yaml, approvalId: await ApprovalOnAsync(wf), calibrationId: await CalibrationOnAsync(wf)))
            {
                if (!probe.WorkflowScoped && wf == RunningServer.OtherWorkflow)
                {
                    continue;
                }

                using var request = new HttpRequestMessage(probe.Method, probe.Path) { Content = probe.Body() };
                using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                var expected = probe.TokenOnly ? "unauthenticated" : Expect(caller, probe, wf);
                var actual = Classify(probe, response, body);
                if (expected != actual)
                {
                    failures.Add($"{caller} {probe.Method} {probe.Path} ({probe.Name}): expected {expected}, got {actual} ({(int)response.StatusCode} {Truncate(body)})");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public static TheoryData<string> People() => ["owner", "approver", "reviewer", "auditor", "operator", "admin", "nobody"];

    /// <summary>
    /// The same walk with a person's own DPoP-bound token holding every scope of people: the roles decide exactly as
    /// with the session cookie, and the case API (tokens only) answers by the case permissions: an auditor, a
    /// reviewer or an approver may read cases but not submit them (403), nobody reaches another team's workflow (404).
    /// </summary>
    [Theory]
    [MemberData(nameof(People))]
    public async Task EveryEndpoint_PersonTokenWithEveryScope_AnswersByRole_CasesIncluded(string caller)
    {
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = PersonToken(caller, AllPersonScopes, key);
        var cases = await CaseIdsAsync(http);
        var failures = new List<string>();
        foreach (var wf in new[] { RunningServer.Workflow, RunningServer.OtherWorkflow })
        {
            var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest, TestContext.Current.CancellationToken)).Replace("id: support-desk", $"id: {wf}", StringComparison.Ordinal);
            foreach (var probe in Probes(wf, yaml, cases[wf], await ApprovalOnAsync(wf), await CalibrationOnAsync(wf)).Where(p => !p.Console && (p.WorkflowScoped || wf == RunningServer.Workflow)))
            {
                using var response = await SendWithTokenAsync(http, probe, token, key);
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                var expected = Expect(caller, probe, wf);
                var actual = Classify(probe, response, body);
                if (expected != actual)
                {
                    failures.Add($"{caller} {probe.Method} {probe.Path} ({probe.Name}): expected {expected}, got {actual} ({(int)response.StatusCode} {Truncate(body)})");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// An administrator's token, approved with every scope but the one an endpoint needs, is refused there with
    /// <c>insufficient_scope</c> (RFC 6750 section 3.1), naming the scope that would do: the scope narrows what the
    /// roles allow on every endpoint, not only on the case API.
    /// </summary>
    [Fact]
    public async Task EveryEndpoint_PersonTokenWithoutItsScope_IsInsufficientScope_EvenForAnAdmin()
    {
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var cases = await CaseIdsAsync(http);
        var yaml = await File.ReadAllTextAsync(RepoPaths.SampleManifest, TestContext.Current.CancellationToken);
        var usersBefore = (await _server.Store.ListUsersAsync(TestContext.Current.CancellationToken)).Count;
        var failures = new List<string>();
        foreach (var probe in Probes(RunningServer.Workflow, yaml, cases[RunningServer.Workflow]).Where(p => !p.Console && Scopes.ContainsKey(p.Permission)))
        {
            var needed = Scopes[probe.Permission];
            var token = PersonToken("admin", string.Join(' ', AllPersonScopes.Split(' ').Where(s => s != needed)), key);
            using var response = await SendWithTokenAsync(http, probe, token, key);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var challenge = response.Headers.WwwAuthenticate.ToString();
            if (Classify(probe, response, body) != "insufficient scope" || !challenge.Contains("error=\"insufficient_scope\"", StringComparison.Ordinal)
                || !challenge.Contains($"scope=\"{needed}\"", StringComparison.Ordinal))
            {
                failures.Add($"{probe.Method} {probe.Path} ({probe.Name}) without {needed}: {(int)response.StatusCode} {challenge} {Truncate(body)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Nothing happened: no account was created, the workflow runs.
        Assert.Equal(usersBefore, (await _server.Store.ListUsersAsync(TestContext.Current.CancellationToken)).Count);
        Assert.Empty(await _server.Store.ListHaltsAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task WorkflowList_ShowsOnlyWorkflowsTheCallerHoldsARoleOn(string caller)
    {
        using var client = caller == "(anonymous)" ? _server.Client() : await _server.SignedInClientAsync(caller);
        using var response = await client.GetAsync("/api/workflows", TestContext.Current.CancellationToken);
        if (caller == "(anonymous)")
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var ids = doc.RootElement.EnumerateArray().Select(w => w.GetProperty("id").GetString()).Order().ToArray();
        string[] expected = caller switch
        {
            "admin" => [RunningServer.OtherWorkflow, RunningServer.Workflow],
            "nobody" => [],
            _ => [RunningServer.Workflow],
        };
        Assert.Equal(expected, ids);
    }

    [Fact]
    public async Task OwnerOfAnotherWorkflow_CannotSeeOrChangeThisOne()
    {
        using var client = await _server.SignedInClientAsync("outsider");
        using var own = await client.GetAsync($"/api/workflows/{RunningServer.OtherWorkflow}/versions/1", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var foreign = await client.PostAsync($"/api/workflows/{RunningServer.Workflow}/rollback", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var workflow = await _server.Store.GetWorkflowAsync(RunningServer.Workflow, TestContext.Current.CancellationToken);
        Assert.Equal(1, workflow!.ActiveVersion);
    }

    [Fact]
    public async Task Owner_CannotGrantOwnerOrAdmin()
    {
        using var client = await _server.SignedInClientAsync("owner");
        foreach (var role in new[] { "owner", "admin" })
        {
            using var response = await client.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/roles", new { userName = "bystander", role }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var grants = await _server.Store.ListRoleGrantsForUserAsync("bystander", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(grants, g => g.Role is "owner" or "admin");
    }

    /// <summary>
    /// A person's own access token as the device grant issues it (subject <c>user:NAME</c>, client <c>skybridge-cli</c>,
    /// no workflow), signed with the node's key so that the test can choose any scope.
    /// </summary>
    private string PersonToken(string userName, string scope, ECDsa key) => AgentKit.Forge(_server, payload =>
    {
        payload["sub"] = "user:" + userName;
        payload["scope"] = scope;
        payload.Remove("workflow");
        payload.Remove("role");
    }, key, "skybridge-cli");

    /// <summary>One case on each workflow, submitted by the administrator, for the read probes.</summary>
    private async Task<Dictionary<string, string>> CaseIdsAsync(HttpClient http)
    {
        using var key = AgentKit.NewKey();
        var token = PersonToken("admin", "cases:write", key);
        var ids = new Dictionary<string, string>();
        foreach (var wf in new[] { RunningServer.Workflow, RunningServer.OtherWorkflow })
        {
            var submit = new Probe("seed case", "submit-case", HttpMethod.Post, "/api/cases", () => JsonContent.Create(new { workflow = wf, text = "Where is my parcel?" }));
            using var response = await SendWithTokenAsync(http, submit, token, key);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.Created, body);
            ids[wf] = JsonDocument.Parse(body).RootElement.GetProperty("caseId").GetString()!;
        }

        return ids;
    }

    /// <summary>
    /// A pending approval on <paramref name="wf"/> for the console's approval page to show (written as the action path
    /// writes one: the action and its approval rows with their ledger event); the same one on every call.
    /// </summary>
    /// <summary>A stored calibration sweep of <paramref name="wf"/>, written with its event as the CLI writes it.</summary>
    private async Task<string> CalibrationOnAsync(string wf)
    {
        var id = "cal-probe-" + wf;
        if (await _server.Store.GetCalibrationAsync(id, TestContext.Current.CancellationToken) is not null)
        {
            return id;
        }

        var sweep = new StoredCalibration
        {
            Id = id, WorkflowId = wf, Version = 1, ManifestHash = new string('a', 64), GoldenSetHash = new string('b', 64),
            Settings = "{\"topK\":[5],\"abstainBelow\":[0.3],\"current\":{\"topK\":5,\"abstainBelow\":0.3}}",
            Rows = "[]", Recommendation = "{\"recommended\":null,\"closest\":null}", Clears = false, RunAt = DateTimeOffset.UtcNow, RunBy = "owner",
        };
        await _server.Services.GetRequiredService<ILedger>().AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.EvaluationCalibrated,
            Actors = [LedgerActor.Human("owner")],
            WorkflowId = wf,
            Resource = new LedgerResource("calibration_run", id),
        }], [new CalibrationRecordedRow(sweep)], TestContext.Current.CancellationToken);
        return id;
    }

    private async Task<string> ApprovalOnAsync(string wf)
    {
        var id = "approval-probe-" + wf;
        if (await _server.Store.GetApprovalAsync(id, TestContext.Current.CancellationToken) is not null)
        {
            return id;
        }

        var now = DateTimeOffset.UtcNow;
        var actionId = "action-probe-" + wf;
        var digest = new string('a', 64);
        var action = new StoredAction
        {
            Id = actionId, WorkflowId = wf, ManifestVersion = 1, CaseId = "case-probe-" + wf, Action = "refund",
            Parameters = "{\"amount\":500,\"currency\":\"EUR\",\"order_id\":\"SO-000001\"}", CallDigest = digest,
            Requester = "responder-probe", RequesterKey = "thumbprint", IdempotencyKey = "probe-" + wf, Status = ActionStatuses.PendingApproval,
            ApprovalId = id, CreatedAt = now, UpdatedAt = now,
        };
        var approval = new StoredApproval
        {
            Id = id, ActionId = actionId, WorkflowId = wf, CaseId = action.CaseId, Action = "refund", CallDigest = digest,
            Status = ApprovalStatuses.Pending, RequiredApprovers = 1, Eligible = "[\"user:approver\"]", Requesters = "[]", Revision = 0,
            CreatedAt = now, ExpiresAt = now.AddDays(1),
        };
        await _server.Services.GetRequiredService<ILedger>().AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.ApprovalRequested,
            Actors = [LedgerActor.Agent("responder-probe")],
            WorkflowId = wf,
            CaseId = action.CaseId,
            Resource = new LedgerResource("approval", id),
            Outcome = "pending",
        }], [new ActionRecordedRow(action), new ApprovalRecordedRow(approval),
            // A case for the review probe to name (its workflow decides who may review it).
            new CaseRecordedRow(new StoredCase("case-review-probe-" + wf, wf, "user:bystander", "probe", "{}", false, now))], TestContext.Current.CancellationToken);
        return id;
    }

    /// <summary>Sends a probe with <c>Authorization: DPoP</c> and a fresh proof (RFC 9449 section 7; htu without the query).</summary>
    private async Task<HttpResponseMessage> SendWithTokenAsync(HttpClient http, Probe probe, string token, ECDsa key)
    {
        var url = new Uri(_server.BaseAddress, probe.Path);
        using var request = new HttpRequestMessage(probe.Method, url) { Content = probe.Body() };
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", AgentKit.Proof(key, probe.Method.Method, url.GetLeftPart(UriPartial.Path), accessToken: token));
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string Expect(string caller, Probe probe, string wf)
    {
        if (caller == "(anonymous)")
        {
            return probe.Console ? "sign-in redirect" : "unauthenticated";
        }

        var roleAllowed = Allowed[probe.Permission].Contains(caller);
        if (caller == "admin")
        {
            return "allowed";
        }

        if (!probe.WorkflowScoped)
        {
            return roleAllowed ? "allowed" : "forbidden";
        }

        // A role on one workflow reveals nothing about another: it looks as if it did not exist.
        if (wf != RunningServer.Workflow || caller == "nobody")
        {
            return "not found";
        }

        return roleAllowed ? "allowed" : "forbidden";
    }

    private static string Classify(Probe probe, HttpResponseMessage response, string body)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized:
                return "unauthenticated";
            case HttpStatusCode.Forbidden:
                return body.Contains("\"code\":\"insufficient_scope\"", StringComparison.Ordinal) ? "insufficient scope" : "forbidden";
            case HttpStatusCode.Redirect or HttpStatusCode.Found when response.Headers.Location?.OriginalString.Contains("/signin", StringComparison.Ordinal) == true:
                return "sign-in redirect";
            case HttpStatusCode.NotFound when probe.Console || body.Contains("\"code\":\"not_found\"", StringComparison.Ordinal):
                return "not found";
        }

        // Anything else means the role check let the request through: success, or a domain answer such as
        // 409 "nothing to roll back to" or 404 "unknown grant".
        return (int)response.StatusCode < 500 ? "allowed" : $"server error {(int)response.StatusCode}";
    }

    private static string Truncate(string body) => body.Length > 200 ? body[..200] + "…" : body;
}
