using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using HelpdeskBilling;
using Microsoft.AspNetCore.Builder;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests;

/// <summary>
/// A real Skybridge node and the helpdesk-and-billing service, each on loopback with a throw-away data folder. The node
/// runs the support-desk sample manifest with the service's scopes added to the responder, plus a "dispatcher" role
/// that may act for the responder, and issues tokens for the service's two audiences (ExtraResources).
/// </summary>
public class DeskFixture : IAsyncLifetime
{
    public const string Workflow = "support-desk";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-test-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _skybridge;
    private WebApplication? _desk;
    private ISkybridgeStore? _store;

    /// <summary>The service's clock: the real time plus <see cref="ShiftedClock.Offset"/>, which tests move forward.</summary>
    public ShiftedClock DeskClock { get; } = new();

    public string Issuer { get; private set; } = "";
    public string DeskUrl { get; private set; } = "";
    public string HelpdeskAudience => DeskUrl + "/helpdesk";
    public string BillingAudience => DeskUrl + "/billing";

    /// <summary>The node's token-signing key file: tests read it to forge tokens only a bent Skybridge could make.</summary>
    public string TokenKeyFile => Path.Combine(_folder, "skybridge", "keys", "token-signing.jwk");

    public IServiceProvider SkybridgeServices => _skybridge!.Services;

    /// <summary>The node's store (for seeding cases and reading what was recorded).</summary>
    public ISkybridgeStore Store => _store!;

    public async ValueTask InitializeAsync()
    {
        // The node must know the service's audiences before it starts, and the service must know the node's issuer:
        // the service's port is chosen first.
        DeskUrl = "http://127.0.0.1:" + FreePort();

        _store = SkybridgeStores.OpenSqlite(Path.Combine(_folder, "skybridge"));
        await _store.MigrateAsync(default);
        await using (var ledger = new LedgerWriter(_store, TimeProvider.System, "test-seed"))
        {
            var yaml = await File.ReadAllTextAsync(SampleManifest());
            yaml = yaml.Replace("scopes: [cases:read, cases:write, actions:propose]",
                "scopes: [cases:read, cases:write, actions:propose, helpdesk:read, helpdesk:write, billing:read, billing:refund]", StringComparison.Ordinal);
            yaml = yaml.Replace("\nsources:", """

                  - role: dispatcher
                    description: Sends what the responder prepared; acts for it.
                    scopes: [helpdesk:read, helpdesk:write]
                    acts_for: [role:responder]

                sources:
                """, StringComparison.Ordinal);
            // Routine actions flow through, consequential ones wait for a person (the level the governed-action tests need).
            await _store.RecordAutonomyGrantAsync(new AutonomyGrant
            {
                WorkflowId = Workflow, Level = "L2-approve-consequential", GrantedBy = "seed", GrantedAt = DateTimeOffset.UtcNow, Evidence = "test fixture",
            }, default);
            yaml = yaml.Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal);
            // A second refund approver: an edited call's editor may not approve it, another eligible person must.
            yaml = yaml.Replace("refund: [group:support-leads]", "refund: [group:support-leads, user:approver, user:lead]", StringComparison.Ordinal);
            // The connectors reach this test's system of record, on its own port (as `skybridge up` rewrites them).
            yaml = yaml.Replace("http://127.0.0.1:5081", DeskUrl, StringComparison.Ordinal);
            // The tests of one fixture refund more than the sample's 500 EUR a day between them, in whatever order they
            // run; budgets have tests of their own (BudgetPipelineTests, two nodes on PostgreSQL).
            yaml = yaml.Replace("sum: amount, max: 500,", "sum: amount, max: 100000,", StringComparison.Ordinal);
            yaml = EditManifest(yaml);
            var published = await new ManifestService(_store, TimeProvider.System, ledger).PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
            Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        }

        _skybridge = SkybridgeServer.Build(new SkybridgeServerOptions
        {
            Urls = "http://127.0.0.1:0",
            NodeId = "test-node",
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            TokenKeyFile = TokenKeyFile,
            LedgerKeyFile = Path.Combine(_folder, "skybridge", "keys", "ledger.key"),
            SecretsKeyFile = Path.Combine(_folder, "skybridge", "keys", "secrets.key"),
            ExtraResources = [HelpdeskAudience, BillingAudience],
            RateLimits = new RequestRateLimits { OAuthPermits = 100_000 },
        }, _store);
        await _skybridge.StartNodeAsync(default);
        Issuer = SkybridgeServer.ListeningAddresses(_skybridge)[0].TrimEnd('/');

        _desk = await HelpdeskBillingApp.StartAsync(new HelpdeskBillingOptions
        {
            Urls = DeskUrl,
            DataFolder = Path.Combine(_folder, "desk"),
            SkybridgeIssuer = Issuer,
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        }, DeskClock);
        Assert.Equal((HelpdeskAudience, BillingAudience), HelpdeskBillingApp.Audiences(_desk));
    }

    /// <summary>
    /// A person with <paramref name="role"/> on the workflow (and in <paramref name="group"/>, when given), signed in to the
    /// node with the console's cookie, as the browser would be.
    /// </summary>
    public async Task<HttpClient> SignedInAsync(string userName, Skybridge.Core.Access.WorkflowRole role, string? group = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var accounts = SkybridgeServices.GetRequiredService<Skybridge.Application.Accounts.AccountService>();
        await accounts.CreateUserAsync("seed", userName, userName, "correct horse battery staple", ct);
        await accounts.GrantRoleAsync("seed", userName, Workflow, role, ct);
        if (group is not null)
        {
            await SkybridgeServices.GetRequiredService<Skybridge.Application.Accounts.GroupService>().AddAsync("seed", group, userName, ct);
        }

        var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(Issuer) };
        client.DefaultRequestHeaders.Add("Origin", Issuer);
        using var signIn = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName, password = "correct horse battery staple" }, ct);
        Assert.True(signIn.IsSuccessStatusCode, await signIn.Content.ReadAsStringAsync(ct));
        return client;
    }

    /// <summary>A fixture's own change to the manifest before it is activated (none here).</summary>
    protected virtual string EditManifest(string yaml) => yaml;

    public HttpClient Client() => new() { BaseAddress = new Uri(DeskUrl) };

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _desk, _skybridge })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected static string SampleManifest()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skybridge.slnx")))
            {
                return Path.Combine(dir.FullName, "samples", "support-desk", "manifest.yaml");
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Skybridge.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test put the service minutes ahead without waiting.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
