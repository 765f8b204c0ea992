using System.CommandLine;
using System.Security.Cryptography;
using Skybridge.Server;
using Skybridge.Cli.Hosting;
using Skybridge.Core.Access;
using Skybridge.Application.Accounts;
using Skybridge.Server.Hosting;
using Skybridge.Application.Ledger;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Manifests;
using Skybridge.Storage;

namespace Skybridge.Cli.Commands;

/// <summary><c>skybridge up</c> (embedded default with the sample) and <c>skybridge serve</c> (a production node).</summary>
internal static class ServerCommands
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The sample workflow bundled next to the program.</summary>
    public static string SampleManifestPath => Path.Combine(AppContext.BaseDirectory, "samples", "support-desk", "manifest.yaml");

    /// <summary>Demo accounts: one per role, so every view of the console can be tried.</summary>
    public static readonly IReadOnlyList<(string UserName, string DisplayName, WorkflowRole Role)> DemoAccounts =
    [
        ("admin", "Installation admin", WorkflowRole.Admin),
        ("owner", "Workflow owner", WorkflowRole.Owner),
        ("approver", "Approver", WorkflowRole.Approver),
        ("reviewer", "Reviewer", WorkflowRole.Reviewer),
        ("auditor", "Auditor", WorkflowRole.Auditor),
        ("operator", "Operator", WorkflowRole.Operator),
    ];

    /// <summary>
    /// The groups the sample manifest's authorities name, with a demo account in each: the approver decides refunds as a
    /// support lead, the operator halts as support ops. Added when <c>up</c> creates the account.
    /// </summary>
    public static readonly IReadOnlyList<(string UserName, string Group)> DemoGroups =
    [
        ("approver", "support-leads"),
        ("operator", "support-ops"),
    ];

    private static Option<string> UrlsOption() => new("--urls")
    {
        Description = "Where to listen, e.g. http://127.0.0.1:5080 (several separated by ';').",
        HelpName = "URL",
        DefaultValueFactory = _ => DefaultUrls,
    };

    /// <summary><c>--ledger-key FILE</c>: the checkpoint signing key (default: DATA/keys/ledger.key).</summary>
    public static Option<string?> LedgerKeyOption() => new("--ledger-key")
    {
        Description = "The ledger's checkpoint signing key file (created when missing; default: DATA/keys/ledger.key).",
        HelpName = "FILE",
    };

    /// <summary>The ledger key file to use: explicit, or the keys folder of the (default) data folder.</summary>
    public static string LedgerKeyPath(System.CommandLine.ParseResult parse, Option<string?> option, StoreOptions store) =>
        parse.GetValue(option) ?? Path.Combine(store.DataFolder(parse) ?? SkybridgeStores.DefaultDataFolder, "keys", "ledger.key");

    private static Option<bool> JsonLogsOption() => new("--json-logs") { Description = "Write logs as JSON lines." };

    public static Command Up(CliIo io, TimeProvider time)
    {
        var urls = UrlsOption();
        var jsonLogs = JsonLogsOption();
        var store = new StoreOptions();
        var command = new Command("up", "Start Skybridge on the embedded default (SQLite) with the sample workflow active, demo accounts, and the sample helpdesk-and-billing system on the next port.") { urls, jsonLogs };
        store.AddTo(command, allowPostgres: false);
        command.SetAction(async (parse, ct) =>
        {
            var folder = store.DataFolder(parse)!;
            if (SampleSystem.Plan(parse.GetValue(urls)!, out var planProblem) is not { } sample)
            {
                io.Fail(planProblem!, "Example: --urls http://127.0.0.1:5080 (the sample system then listens on 5081).");
                return ExitCodes.InvalidInput;
            }

            return await store.WithStoreAsync(parse, io, ct, async opened =>
            {
                string credentialsFile;
                await using (var ledger = new LedgerWriter(opened, time, CliApp.NodeId))
                {
                    if (!await PublishSampleAsync(opened, ledger, io, time, sample, CliEmbeddings.For(io, parse, new Skybridge.Application.Grounding.StoreVectorCache(opened)), ct).ConfigureAwait(false))
                    {
                        return ExitCodes.Failed;
                    }

                    credentialsFile = await EnsureDemoAccountsAsync(opened, ledger, folder, time, ct).ConfigureAwait(false);
                    // The sample's help centre is read now, so the first question already finds it.
                    using var grounding = new Skybridge.Application.Grounding.GroundingService(opened, opened, ledger, time);
                    await grounding.IngestAsync("support-desk", Path.GetDirectoryName(SampleManifestPath)!, "skybridge-up", ct).ConfigureAwait(false);
                }

                var options = new SkybridgeServerOptions
                {
                    Urls = parse.GetValue(urls)!,
                    JsonLogs = parse.GetValue(jsonLogs),
                    KeysFolder = Path.Combine(folder, "keys"),
                    LedgerKeyFile = Path.Combine(folder, "keys", "ledger.key"),
                    TokenKeyFile = Path.Combine(folder, "keys", "token-signing.jwk"),
                    SecretsKeyFile = Path.Combine(folder, "keys", "secrets.key"),
                    // The node mints connector tokens for the sample system's two halves, and for nothing else.
                    ExtraResources = [sample.HelpdeskAudience, sample.BillingAudience],
                    EmbeddingModel = parse.GetValue(CliEmbeddings.Model) ?? Grounding.Retrieval.Embeddings.SentenceEmbedders.Builtin,
                };
                var desk = await StartSampleSystemAsync(sample, folder, io, time, ct).ConfigureAwait(false);
                if (desk is null)
                {
                    return ExitCodes.Failed;
                }

                await using var stopDesk = desk.ConfigureAwait(false);
                return await NodeRunner.RunAsync(options, opened, io, addresses =>
                {
                    var url = addresses.FirstOrDefault() ?? options.Urls;
                    io.Output.WriteLine();
                    io.Output.WriteLine($"Skybridge is up on the embedded store in {folder}");
                    io.Output.WriteLine($"  Console:  {url}/");
                    io.Output.WriteLine($"  Health:   {url}/health");
                    io.Output.WriteLine($"  API docs: {url}/openapi/v1.json");
                    io.Output.WriteLine($"  Sample system of record (helpdesk and billing): {sample.Url} (data in {Path.Combine(folder, SampleDataFolder)})");
                    io.Output.WriteLine($"Sign in as one of: {string.Join(", ", DemoAccounts.Select(a => $"{a.UserName} ({a.Role.ToName()})"))}.");
                    io.Output.WriteLine($"Their passwords are in {credentialsFile} (readable only by you).");
                    io.Output.WriteLine("Press Ctrl+C to stop.");
                    io.Output.Flush();
                }, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Serve(CliIo io)
    {
        var urls = UrlsOption();
        var jsonLogs = JsonLogsOption();
        var nodeId = new Option<string?>("--node-id") { Description = "This node's id in logs and records (default: host name).", HelpName = "ID" };
        var otelConsole = new Option<bool>("--telemetry-console") { Description = "Also print OpenTelemetry traces and metrics to the console." };
        var keys = new Option<string?>("--keys") { Description = "Folder for cookie-encryption keys shared by all nodes (default: DATA/keys; none with --postgres).", HelpName = "DIR" };
        var secure = new Option<bool>("--secure-cookies") { Description = "Send the session cookie only over HTTPS (use behind a TLS-terminating proxy)." };
        var ledgerKey = LedgerKeyOption();
        var publicUrl = new Option<string?>("--public-url")
        {
            Description = "The URL agents and browsers reach this server at (token issuer, DPoP htu base); default: the first --urls address.",
            HelpName = "URL",
        };
        var tokenKey = new Option<string?>("--token-key")
        {
            Description = "This node's token-signing key file (created when missing; default: token-signing.jwk beside the ledger key).",
            HelpName = "FILE",
        };
        var secretsKey = new Option<string?>("--secrets-key")
        {
            Description = "The key file that encrypts secrets kept in the database (created when missing; default: secrets.key beside the ledger key). " +
                "Every node sharing one database needs the same key; $SKYBRIDGE_SECRETS_KEY (base64) may give the key itself instead.",
            HelpName = "FILE",
        };
        var resources = new Option<string[]>("--resource")
        {
            Description = "A system of record that trusts this node's tokens (RFC 8707 resource, e.g. https://billing.example.com/api): " +
                "connectors and token requests may name it as audience. Repeat for several.",
            HelpName = "URL",
        };
        resources.Validators.Add(r =>
        {
            foreach (var resource in r.GetValue(resources) ?? [])
            {
                if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Fragment.Length > 0)
                {
                    r.AddError($"--resource '{resource}' must be an absolute http(s) URL without a fragment (RFC 8707 section 2).");
                }
            }
        });
        var claimTimeout = new Option<int>("--action-claim-timeout")
        {
            Description = "Seconds an action may run without a result before it counts as left by a node that died and is sent again " +
                "with the same Idempotency-Key (default 120; keep it above your slowest connector call).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => (int)new Skybridge.Application.SkybridgeNodeOptions().ActionClaimTimeout.TotalSeconds,
        };
        claimTimeout.Validators.Add(r =>
        {
            if (r.GetValue(claimTimeout) < 1)
            {
                r.AddError("--action-claim-timeout must be at least 1 second.");
            }
        });
        var clockSkew = new Option<int>("--clock-skew")
        {
            Description = "Seconds of clock difference tolerated in tokens, client assertions and DPoP proofs (default 10).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 10,
        };
        // Behind a proxy every request comes from the proxy's address: raise these there, or limit at the proxy and pass 0.
        var oauthRate = new Option<int>("--oauth-rate-limit")
        {
            Description = "Requests per minute one address may send to /oauth/* (default 600; 0: no limit).",
            HelpName = "N",
            DefaultValueFactory = _ => new RequestRateLimits().OAuthPermits,
        };
        var signInRate = new Option<int>("--sign-in-rate-limit")
        {
            Description = "Sign-in attempts per minute from one address, on top of each account's lockout (default 30; 0: no limit).",
            HelpName = "N",
            DefaultValueFactory = _ => new RequestRateLimits().SignInPermits,
        };
        var maxConnections = new Option<int?>("--max-connections")
        {
            Description = "Most client connections held open at once; new ones past it are closed at once (default: three quarters of the open-file limit).",
            HelpName = "N",
        };
        maxConnections.Validators.Add(r =>
        {
            if (r.GetValue(maxConnections) is < 1)
            {
                r.AddError("--max-connections must be at least 1.");
            }
        });
        foreach (var rate in new[] { oauthRate, signInRate })
        {
            rate.Validators.Add(r =>
            {
                if (r.GetValue(rate) < 0)
                {
                    r.AddError($"{rate.Name} must be 0 (no limit) or more.");
                }
            });
        }

        clockSkew.Validators.Add(r =>
        {
            if (r.GetValue(clockSkew) is < 0 or > 300)
            {
                r.AddError("--clock-skew must be between 0 and 300 seconds.");
            }
        });
        publicUrl.Validators.Add(r =>
        {
            if (r.GetValue(publicUrl) is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/"))
            {
                r.AddError($"--public-url '{url}' must be an absolute http(s) URL without a path, like https://skybridge.example.com");
            }
        });
        var sso = new SingleSignOnOptions();
        var store = new StoreOptions();
        var command = new Command("serve", "Run a Skybridge server node on SQLite (--data) or PostgreSQL (--postgres).") { urls, jsonLogs, nodeId, otelConsole, keys, secure, ledgerKey, publicUrl, tokenKey, secretsKey, resources, claimTimeout, clockSkew, oauthRate, signInRate, maxConnections };
        sso.AddTo(command);
        store.AddTo(command);
        command.SetAction((parse, ct) => store.WithStoreAsync(parse, io, ct, async opened =>
        {
            var folder = store.DataFolder(parse);
            var options = new SkybridgeServerOptions
            {
                Urls = parse.GetValue(urls)!,
                JsonLogs = parse.GetValue(jsonLogs),
                NodeId = parse.GetValue(nodeId) ?? Environment.MachineName,
                ConsoleTelemetry = parse.GetValue(otelConsole),
                KeysFolder = parse.GetValue(keys) ?? (folder is null ? null : Path.Combine(folder, "keys")),
                SecureCookies = parse.GetValue(secure),
                LedgerKeyFile = LedgerKeyPath(parse, ledgerKey, store),
                PublicUrl = parse.GetValue(publicUrl)?.TrimEnd('/'),
                TokenKeyFile = parse.GetValue(tokenKey) ?? Path.Combine(Path.GetDirectoryName(LedgerKeyPath(parse, ledgerKey, store))!, "token-signing.jwk"),
                SecretsKeyFile = parse.GetValue(secretsKey) ?? Path.Combine(Path.GetDirectoryName(LedgerKeyPath(parse, ledgerKey, store))!, "secrets.key"),
                SecretsKey = Environment.GetEnvironmentVariable("SKYBRIDGE_SECRETS_KEY") is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
                Identity = new Skybridge.Core.Identity.IdentitySettings { ClockSkew = TimeSpan.FromSeconds(parse.GetValue(clockSkew)) },
                RateLimits = new RequestRateLimits { OAuthPermits = parse.GetValue(oauthRate), SignInPermits = parse.GetValue(signInRate) },
                MaxConnections = parse.GetValue(maxConnections),
                Oidc = sso.Read(parse),
                ExtraResources = parse.GetValue(resources) ?? [],
                ActionClaimTimeout = TimeSpan.FromSeconds(parse.GetValue(claimTimeout)),
                EmbeddingModel = parse.GetValue(CliEmbeddings.Model) ?? Grounding.Retrieval.Embeddings.SentenceEmbedders.Builtin,
            };
            return await NodeRunner.RunAsync(options, opened, io, addresses =>
            {
                io.Output.WriteLine($"Skybridge node {options.NodeId} serving {opened.Description} on {string.Join(", ", addresses)}");
                io.Output.Flush();
            }, ct).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>The sample system's folder inside the data folder.</summary>
    public const string SampleDataFolder = "helpdesk-billing";

    /// <summary>Starts the sample helpdesk-and-billing system; null (and a message) when it cannot listen.</summary>
    private static async Task<Microsoft.AspNetCore.Builder.WebApplication?> StartSampleSystemAsync(SampleSystem sample, string folder, CliIo io, TimeProvider time, CancellationToken ct)
    {
        try
        {
            return await HelpdeskBilling.HelpdeskBillingApp.StartAsync(new HelpdeskBilling.HelpdeskBillingOptions
            {
                Urls = sample.Listen,
                PublicUrl = sample.Url,
                DataFolder = Path.Combine(folder, SampleDataFolder),
                SkybridgeIssuer = sample.Issuer,
                MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            }, time, ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            io.Fail($"Cannot start the sample helpdesk-and-billing system on {sample.Listen}: {ex.Message}",
                "skybridge up runs it on the port after --urls: free that port, or choose another with --urls http://127.0.0.1:PORT.");
            return null;
        }
    }

    /// <summary>
    /// Publishes the bundled sample, its connectors pointing at the sample system <c>up</c> runs, and activates it when
    /// nothing is active yet or the active version is an earlier sample published by <c>up</c> (another port, an older
    /// Skybridge); a version someone published by hand stays active.
    /// </summary>
    private static async Task<bool> PublishSampleAsync(ISkybridgeStore store, ILedger ledger, CliIo io, TimeProvider time, SampleSystem sample, Grounding.Retrieval.Embeddings.DenseRetrieval? dense, CancellationToken ct)
    {
        var path = SampleManifestPath;
        if (!File.Exists(path))
        {
            io.Fail($"The bundled sample manifest is missing at {path}.", "Rebuild Skybridge from a complete checkout.");
            return false;
        }

        var yaml = sample.Rewrite(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false));
        var folder = Path.GetDirectoryName(path)!;
        var manifests = new ManifestService(store, time, ledger);
        var result = await manifests.PublishAsync(yaml, path, rel => File.Exists(Path.Combine(folder, rel)) || Directory.Exists(Path.Combine(folder, rel)), "skybridge-up", activate: false, ct).ConfigureAwait(false);
        if (!result.IsValid || result.Published is null)
        {
            ManifestCommands.PrintDiagnostics(io, path, result.Diagnostics);
            io.Fail("The bundled sample manifest does not validate.");
            return false;
        }

        var workflow = await store.GetWorkflowAsync(result.Published.Version.WorkflowId, ct).ConfigureAwait(false);
        var active = workflow?.ActiveVersion is { } version ? await store.GetVersionAsync(workflow.Id, version, ct).ConfigureAwait(false) : null;
        if (active is null || (active.Version != result.Published.Version.Version && active.PublishedBy == "skybridge-up"))
        {
            var run = await EvaluateSampleAsync(ledger, io, time, yaml, path, folder, dense, ct).ConfigureAwait(false);
            var id = result.Published.Version.WorkflowId;
            var number = result.Published.Version.Version;
            var (activation, _) = await manifests.ActivateAsync(id, number, "skybridge-up", ct).ConfigureAwait(false);
            if (activation.Outcome == ActivationOutcome.GateRefused)
            {
                // The sample is set up for a trial: it runs at its manifest's autonomy level (L0-draft: drafts, and
                // actions only recorded) even when its own evaluation is below its bar, and says so wherever the
                // version is shown, as an owner's override would.
                var reason = run is null
                    ? "the bundled sample, set up for a trial; its golden set could not be run"
                    : $"the bundled sample, set up for a trial; its evaluation is below its acceptance bar ({run.Verdict.Criteria.Count(c => !c.Cleared)} of {run.Verdict.Criteria.Count} criteria not cleared; skybridge eval list {id})";
                (activation, _) = await manifests.ActivateAsync(id, number, "skybridge-up", new ActivationOverride(reason, LocalSetup: true), ct).ConfigureAwait(false);
            }

            if (activation.Activation?.Basis is { } basis)
            {
                io.Output.WriteLine($"Sample workflow {id} v{number} activated on {ActivationBases.Describe(basis)}.");
            }
        }

        return true;
    }

    /// <summary>
    /// Runs the sample's golden set against the exact text <c>up</c> publishes (its sources and golden set beside the
    /// bundled manifest) and stores the run as evidence, so the activation gate decides on it like any other version.
    /// </summary>
    private static async Task<EvaluationRun?> EvaluateSampleAsync(ILedger ledger, CliIo io, TimeProvider time, string yaml, string path, string folder, Grounding.Retrieval.Embeddings.DenseRetrieval? dense, CancellationToken ct)
    {
        var prepared = EvaluationSubjects.FromManifestText(yaml, path, folder);
        if (prepared.Subject is not { } subject)
        {
            foreach (var problem in prepared.Problems)
            {
                io.Error.WriteLine(problem);
            }

            return null;
        }

        // Retrieval as the node will do it (the same model), its vectors kept in the store the node then reads them from.
        var run = await EvaluationRunner.RunAsync(subject, new EvaluationOptions { Dense = dense }, time, null, ct).ConfigureAwait(false);
        await EvaluationEvidence.RecordAsync(ledger, run, "skybridge-up", ct).ConfigureAwait(false);
        var passed = run.Cases.Count(c => c.Score.Passed);
        io.Output.WriteLine($"Evaluated the sample's golden set: {passed} of {run.Cases.Count} cases pass; {(run.Verdict.Clears ? "clears" : "below")} the acceptance bar ({run.Id}).");
        return run;
    }

    /// <summary>
    /// Creates the demo accounts once, with random passwords written to a file only the current user can read,
    /// so no password is ever printed to a terminal or a log.
    /// </summary>
    private static async Task<string> EnsureDemoAccountsAsync(ISkybridgeStore store, ILedger ledger, string folder, TimeProvider time, CancellationToken ct)
    {
        var file = Path.Combine(folder, "demo-accounts.txt");
        var accounts = new AccountService(store, time, ledger);
        var groups = new GroupService(store, ledger, time);
        var lines = new List<string>();
        foreach (var (userName, displayName, role) in DemoAccounts)
        {
            if (await store.GetUserAsync(userName, ct).ConfigureAwait(false) is not null)
            {
                continue;
            }

            var password = RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 16);
            await accounts.CreateUserAsync("skybridge-up", userName, displayName, password, ct).ConfigureAwait(false);
            await accounts.GrantRoleAsync("skybridge-up", userName, AccessRules.GrantedOn(role, "support-desk"), role, ct).ConfigureAwait(false);
            foreach (var (_, group) in DemoGroups.Where(g => g.UserName == userName))
            {
                await groups.AddAsync("skybridge-up", group, userName, ct).ConfigureAwait(false);
            }

            lines.Add($"{userName}\t{password}\t{role.ToName()}");
        }

        if (lines.Count > 0)
        {
            var header = File.Exists(file) ? [] : new[] { "# Skybridge demo accounts (user, password, role). Delete this file once you have real accounts." };
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var stream = new FileStream(file, options);
            await using var writer = new StreamWriter(stream);
            foreach (var line in header.Concat(lines))
            {
                await writer.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        return file;
    }
}
