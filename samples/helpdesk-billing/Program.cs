// The sample system of record of support-desk. Run it next to a Skybridge node:
//   dotnet run --project samples/helpdesk-billing -- --skybridge http://127.0.0.1:5080 --urls http://127.0.0.1:5081 --data .helpdesk-data
// Settings come from the command line or HELPDESK_* environment variables (HELPDESK_SKYBRIDGE=...).
using HelpdeskBilling;

var config = new ConfigurationBuilder().AddEnvironmentVariables("HELPDESK_").AddCommandLine(args).Build();
var options = new HelpdeskBillingOptions
{
    Urls = config["urls"] ?? "http://127.0.0.1:5081",
    PublicUrl = config["public-url"],
    DataFolder = config["data"] ?? Path.Combine(Environment.CurrentDirectory, ".helpdesk-data"),
    SkybridgeIssuer = config["skybridge"] ?? "http://127.0.0.1:5080",
    JwksUrl = config["jwks"],
    HelpdeskAudience = config["helpdesk-audience"],
    BillingAudience = config["billing-audience"],
};

await using var app = await HelpdeskBillingApp.StartAsync(options);
var (helpdesk, billing) = HelpdeskBillingApp.Audiences(app);
Console.WriteLine($"Helpdesk and billing listening on {string.Join(", ", HelpdeskBillingApp.ListeningAddresses(app))}");
Console.WriteLine($"Trusting tokens of {options.SkybridgeIssuer} for {helpdesk} and {billing}; data in {options.DataFolder}");
await app.WaitForShutdownAsync();
