using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Skybridge.Application.Access;
using Skybridge.Application.Accounts;
using Skybridge.Server.Console;
using Skybridge.Server.Endpoints;
using Skybridge.Core.Ledger;
using Skybridge.Application.Governance;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Application.Ledger;
using Skybridge.Server.Authentication;
using Skybridge.Application.Manifests;
using Skybridge.Server.Telemetry;
using Skybridge.Application.Hosting;
using Skybridge.Storage;

namespace Skybridge.Server.Hosting;

/// <summary>Builds and runs a Skybridge server node over a store.</summary>
public static class SkybridgeServer
{
    /// <summary>The default scheme: the session cookie, or a person's DPoP-bound token when one is sent.</summary>
    public const string PeopleScheme = "skybridge-people";

    /// <summary>The authorization policy of console pages: the session cookie.</summary>
    public const string ConsolePolicy = "skybridge-console";

    /// <summary>Name of the sign-in cookie.</summary>
    public const string SessionCookieName = "skybridge.session";

    /// <summary>
    /// Builds a server node. The caller owns <paramref name="store"/> and must have migrated it
    /// (<see cref="ISkybridgeStore.MigrateAsync"/>) before starting the node.
    /// </summary>
    /// <param name="options">The node's settings.</param>
    /// <param name="store">The migrated store.</param>
    /// <param name="time">The node's clock (token lifetimes, nonces, lockouts, checkpoints); the system clock when
    /// null. Tests pass a fake one to let time pass without waiting.</param>
    /// <param name="configureServices">Changes to the node's services after its own registrations (a benchmark's no-op connector).</param>
    public static WebApplication Build(SkybridgeServerOptions options, ISkybridgeStore store, TimeProvider? time = null, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        if (options.MaxConnections is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConnections, "MaxConnections must be at least 1.");
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // The application name decides where MVC looks for Razor Pages: they live in this assembly,
            // whichever program hosts it.
            ApplicationName = typeof(SkybridgeServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            // Clients never take the descriptors the node needs for its own store (ConnectionLimit says why).
            var connections = options.MaxConnections ?? ConnectionLimit.Default();
            k.Limits.MaxConcurrentConnections = connections;
            k.Limits.MaxConcurrentUpgradedConnections = connections;
        });

        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.ffffffZ ");
        }
        else
        {
            // One line per entry with control characters escaped: logged values come from requests.
            builder.Logging.AddConsole(o => o.FormatterName = PlainLogFormatter.FormatterName)
                .AddConsoleFormatter<PlainLogFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        }

        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Its "no XML encryptor" warning is expected on Linux, where the keys folder's permissions protect the keys.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        if (time is not null)
        {
            // Registered first: every later TryAdd of the system clock (ours, ASP.NET Core's) keeps this one.
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddSkybridgeServer(options, store);
        // Last: a host embedding the node (a benchmark, a test) may replace a part, e.g. the connectors.
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseSkybridgeServer();
        return app;
    }

    /// <summary>Registers everything a node needs: store, accounts, access checks, auth, pages, OpenAPI, telemetry.</summary>
    public static IServiceCollection AddSkybridgeServer(this IServiceCollection services, SkybridgeServerOptions options, ISkybridgeStore store)
    {
        services.AddSingleton(options);
        services.AddSkybridgeApplication(options, store);
        services.AddSingleton(sp => new IssuerUrls(options,
            () => sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()));
        services.AddSingleton<ValidatedTokens>();
        services.AddSkybridgeConnectorWiring(store);
        services.AddSingleton<Skybridge.Application.Notifications.IWebhookSender, WebhookSender>();
        services.AddSkybridgeRateLimits(options.RateLimits);

        var dataProtection = services.AddDataProtection().SetApplicationName("skybridge");
        if (options.KeysFolder is not null)
        {
            // The keys encrypt session cookies. Linux has no machine-wide key store to wrap them with, so they are
            // protected by the folder itself: readable by the service account only.
            var keys = OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(options.KeysFolder)
                : Directory.CreateDirectory(options.KeysFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            dataProtection.PersistKeysToFileSystem(keys);
        }

        // People use the console's cookie, or (from the CLI) a DPoP-bound token of their own: the header decides.
        services.AddAuthentication(PeopleScheme)
            .AddPolicyScheme(PeopleScheme, "Session cookie or DPoP token", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase)
                    ? DPoPAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = SessionCookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = ServerSessions.SecureCookies(options) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                o.LoginPath = "/signin";
                o.LogoutPath = "/signout";
                // The API answers 401/403 with problem details; only console pages redirect to the sign-in form.
                o.Events.OnRedirectToLogin = ctx => ApiProblems.RedirectOrProblem(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => ApiProblems.RedirectOrProblem(ctx, StatusCodes.Status403Forbidden);
                ServerSessions.Attach(o.Events);
            })
            .AddScheme<DPoPAuthenticationOptions, DPoPAuthenticationHandler>(DPoPAuthenticationHandler.SchemeName, null)
            .AddExternalSignIn(options);
        services.AddAuthorizationBuilder()
            .AddPolicy(OAuthEndpoints.AgentPolicy, p => p.AddAuthenticationSchemes(DPoPAuthenticationHandler.SchemeName).RequireAuthenticatedUser())
            // The console is the browser session's: a person's CLI token has a scope the pages do not check, and /device
            // would let a narrow token approve a wider one, so pages authenticate with the cookie only.
            .AddPolicy(ConsolePolicy, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme).RequireAuthenticatedUser());
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console";
            o.Conventions.AuthorizeFolder("/", ConsolePolicy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
        });
        // Bodies that do not bind are the caller's mistake: minimal APIs throw, and one handler answers 400 with a
        // code. A non-nullable member missing or null is refused while binding, so no handler sees a half-filled request.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.TypeInfoResolver = RequestHygiene.RequireNonNullableMembers(o.SerializerOptions.TypeInfoResolver);
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier);
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Skybridge API";
            doc.Info.Description = "Governed AI workflows: manifests, versions, people and roles, agents and their tokens, cases and grounded drafts.";
            return Task.CompletedTask;
        }));

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("skybridge", serviceInstanceId: options.NodeId))
            .WithTracing(t =>
            {
                t.AddSource(SkybridgeTelemetry.Name).AddAspNetCoreInstrumentation();
                if (options.ConsoleTelemetry)
                {
                    t.AddConsoleExporter();
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(SkybridgeTelemetry.Name).AddAspNetCoreInstrumentation();
                if (options.ConsoleTelemetry)
                {
                    m.AddConsoleExporter();
                }
            });
        return services;
    }

    /// <summary>The middleware pipeline and endpoints.</summary>
    public static WebApplication UseSkybridgeServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages(ApiProblems.StatusCodePage);
        app.Use(async (ctx, next) =>
        {
            // The console runs no script at all; its one style sheet is inline and carries this request's nonce.
            var nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            ctx.Items[ConsoleSecurity.NonceKey] = nonce;
            ctx.Response.Headers.ContentSecurityPolicy = ConsoleSecurity.Policy(nonce);
            // Console pages are never framed and never cached: they show governed data.
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            ctx.Response.Headers.XFrameOptions = "DENY";
            ctx.Response.Headers["Referrer-Policy"] = "no-referrer";
            ctx.Response.Headers.CacheControl = "no-cache, no-store";
            ctx.Response.Headers.Pragma = "no-cache";
            await next(ctx).ConfigureAwait(false);
        });
        app.Use(RequestHygiene.Middleware);
        // Before authentication: a flood is turned away before it costs a signature check or a store read.
        app.UseRateLimiter();
        app.Use(CrossOriginGuard.Middleware);
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapHealthEndpoints();
        app.MapAuthEndpoints();
        app.MapExternalSignIn();
        app.MapWorkflowEndpoints();
        app.MapRoleEndpoints();
        app.MapUserEndpoints();
        app.MapGroupEndpoints();
        app.MapLedgerEndpoints();
        app.MapAgentEndpoints();
        app.MapOAuthEndpoints();
        Skybridge.Server.Endpoints.CaseEndpoints.MapCaseEndpoints(app);
        app.MapActionEndpoints();
        app.MapReviewEndpoints();
        app.MapCalibrationEndpoints();
        app.MapPolicyEndpoints();
        app.MapRazorPages();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Skybridge.Server");
            foreach (var address in ListeningAddresses(app))
            {
                Log.Listening(logger, address);
            }
        });
        return app;
    }

    /// <summary>Starts a built node and logs which store and schema it runs on.</summary>
    public static async Task StartNodeAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var store = app.Services.GetRequiredService<ISkybridgeStore>();
        var options = app.Services.GetRequiredService<SkybridgeServerOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Skybridge.Server");
        var schema = await store.GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
        Log.NodeStarted(logger, options.NodeId, store.Provider, store.Description, schema);
    }

    /// <summary>The addresses a started node listens on (with the real port when port 0 was asked for).</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
    }
}
