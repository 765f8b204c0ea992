using HelpdeskBilling.Access;
using HelpdeskBilling.Store;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace HelpdeskBilling;

/// <summary>Builds and runs the helpdesk-and-billing service, from <c>dotnet run</c> or in-process (tests, the CLI).</summary>
public static class HelpdeskBillingApp
{
    /// <summary>Builds the service. Its store is created and seeded when it starts.</summary>
    /// <param name="options">Where it listens, where its data lives, which Skybridge it trusts.</param>
    /// <param name="time">Its clock (token lifetimes, proof ages); the system clock when null. Tests pass a fake one.</param>
    public static WebApplication Build(HelpdeskBillingOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.SkybridgeIssuer, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException($"SkybridgeIssuer '{options.SkybridgeIssuer}' must be an absolute URL.");
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(HelpdeskBillingApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        var clock = time ?? TimeProvider.System;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(sp => new ServiceUrls(options,
            () => sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()));
        builder.Services.AddHttpClient(nameof(SkybridgeKeys), c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(sp => new SkybridgeKeys(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SkybridgeKeys)),
            new Uri(options.JwksUrl ?? options.SkybridgeIssuer.TrimEnd('/') + "/oauth/jwks"),
            options, clock, sp.GetRequiredService<ILogger<SkybridgeKeys>>()));
        builder.Services.AddSingleton<TokenGate>();
        builder.Services.AddSingleton<DeskStore>();
        // Runs before the server listens: no request meets a store without its schema.
        builder.Services.AddHostedService<StoreInitializer>();
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapDeskEndpoints();
        return app;
    }

    /// <summary>Builds and starts the service; dispose the result to stop it.</summary>
    public static async Task<WebApplication> StartAsync(HelpdeskBillingOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var app = Build(options, time);
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>The addresses a started service listens on (with the real port when port 0 was asked for).</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
    }

    /// <summary>The audiences a started service accepts: helpdesk first, then billing (what Skybridge must issue tokens for).</summary>
    public static (string Helpdesk, string Billing) Audiences(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var urls = app.Services.GetRequiredService<ServiceUrls>();
        return (urls.HelpdeskAudience, urls.BillingAudience);
    }

    private sealed class StoreInitializer(DeskStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
