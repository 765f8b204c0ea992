using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Skybridge.Server;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Server.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Support;

/// <summary>
/// A real server node on a free loopback port over a throw-away SQLite data folder, seeded with two workflows
/// (support-desk and billing-disputes) and one account per role on support-desk. Tests talk to it over sockets.
/// </summary>
public class RunningServer : IAsyncLifetime
{
    public const string Workflow = "support-desk";
    public const string OtherWorkflow = "billing-disputes";
    public const string Password = "correct horse battery staple";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-test-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    public ISkybridgeStore Store { get; private set; } = null!;

    /// <summary>The running node's services (ledger, accounts...).</summary>
    public IServiceProvider Services => _app!.Services;
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The node's token-signing key file: tests read it to forge tokens the node must still refuse.</summary>
    public string TokenKeyFile => Path.Combine(_folder, "keys", "token-signing.jwk");

    /// <summary>The node's data folder (the SQLite database and the keys folder).</summary>
    public string DataFolder => _folder;

    /// <summary>The key file that encrypts the secrets the node keeps in the store.</summary>
    public string SecretsKeyFile => Path.Combine(_folder, "keys", "secrets.key");

    /// <summary>Identity settings of the node; fixtures deriving from this one may shorten them.</summary>
    protected virtual Skybridge.Core.Identity.IdentitySettings Identity => new();

    /// <summary>The node's clock; <see cref="FakeClockServer"/> makes it one the tests move.</summary>
    public virtual TimeProvider Time => TimeProvider.System;

    /// <summary>Lets a fixture deriving from this one change the node's options.</summary>
    protected virtual SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options;

    /// <summary>Account names: the role name for each role on support-desk; "outsider" holds owner on billing-disputes only.</summary>
    public static IReadOnlyList<WorkflowRole> Roles => WorkflowRoles.All;

    /// <summary>
    /// Opens the node's store; a fixture deriving from this one may put several nodes on one PostgreSQL database
    /// (<see cref="Seeds"/> false for all but the first).
    /// </summary>
    protected virtual ISkybridgeStore OpenStore(string dataFolder) => SkybridgeStores.OpenSqlite(dataFolder);

    /// <summary>Whether this node seeds the store with the workflows and accounts (a second node on a shared store does not).</summary>
    protected virtual bool Seeds => true;

    public virtual async ValueTask InitializeAsync()
    {
        Store = OpenStore(_folder);
        await Store.MigrateAsync();
        if (Seeds)
        {
            await SeedAsync();
        }

        await StartAsync();
    }

    private async Task SeedAsync()
    {
        await using var ledger = new LedgerWriter(Store, Time, "test-seed");
        var manifests = new ManifestService(Store, Time, ledger);
        // The accounts that hold the halt permission are also the workflow's halt authority (only they may press it):
        // operator through its group, as `skybridge up` sets it up, owner and admin by name.
        var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest)).Replace(
            "halt: [group:support-ops, user:maria.lopez]", "halt: [group:support-ops, user:maria.lopez, user:owner, user:admin]", StringComparison.Ordinal);
        var first = await manifests.PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
        Assert.True(first.IsValid, string.Join("\n", first.Diagnostics));
        var other = yaml.Replace($"id: {Workflow}", $"id: {OtherWorkflow}", StringComparison.Ordinal);
        var second = await manifests.PublishAsync(other, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
        Assert.True(second.IsValid, string.Join("\n", second.Diagnostics));

        var accounts = new AccountService(Store, Time, ledger);
        foreach (var role in Roles)
        {
            await accounts.CreateUserAsync("seed", role.ToName(), role.ToString(), Password, default);
            await accounts.GrantRoleAsync("seed", role.ToName(), role == WorkflowRole.Admin ? RoleGrant.AllWorkflows : Workflow, role, default);
        }

        // The sample names groups in its authorities; the demo accounts of `skybridge up` are in them, and so are these.
        var groups = new GroupService(Store, ledger, Time);
        await groups.AddAsync("seed", "support-leads", WorkflowRole.Approver.ToName(), default);
        await groups.AddAsync("seed", "support-ops", WorkflowRole.Operator.ToName(), default);

        await accounts.CreateUserAsync("seed", "outsider", "Outsider", Password, default);
        await accounts.GrantRoleAsync("seed", "outsider", OtherWorkflow, WorkflowRole.Owner, default);
        await accounts.CreateUserAsync("seed", "nobody", "No roles", Password, default);
        await accounts.CreateUserAsync("seed", "bystander", "Bystander", Password, default);
    }

    private async Task StartAsync()
    {
        _app = SkybridgeServer.Build(
            Adjust(new SkybridgeServerOptions
            {
                Urls = "http://127.0.0.1:0",
                NodeId = "test-node",
                MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
                LedgerKeyFile = Path.Combine(_folder, "keys", "ledger.key"),
                TokenKeyFile = TokenKeyFile,
                SecretsKeyFile = SecretsKeyFile,
                Identity = Identity,
                // Every test signs in from 127.0.0.1 against one node; the limits themselves are tested on a node of their own.
                RateLimits = new RequestRateLimits { OAuthPermits = 100_000, SignInPermits = 10_000 },
            }),
            Store,
            Time == TimeProvider.System ? null : Time);
        await _app.StartNodeAsync(default);
        BaseAddress = new Uri(SkybridgeServer.ListeningAddresses(_app)[0]);
    }

    /// <summary>A client with its own cookie jar that does not follow redirects (tests look at them).</summary>
    public HttpClient Client()
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
        return new HttpClient(handler) { BaseAddress = BaseAddress };
    }

    /// <summary>A client signed in as <paramref name="userName"/>.</summary>
    public async Task<HttpClient> SignedInClientAsync(string userName)
    {
        var client = Client();
        var response = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName, password = Password });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        // As a browser does on every unsafe request: the server refuses cookie requests from other origins.
        client.DefaultRequestHeaders.Add("Origin", BaseAddress.GetLeftPart(UriPartial.Authority));
        return client;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Store.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; the next run uses a new one.
        }
    }
}
