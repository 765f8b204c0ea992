// A .NET agent governed by Skybridge. Its identity is the credentials file `skybridge agent register` wrote; every
// request it sends carries a short-lived token bound to a key that never leaves this process.
//
//   ./skybridge agent register support-desk responder-1 --role responder
//   ./skybridge agent register support-desk researcher-1 --role researcher
//   dotnet run --project samples/agent-dotnet -- responder-1.agent.json researcher-1.agent.json
using System.Net.Http.Json;
using System.Text.Json;
using Skybridge.Client;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: AgentSample AGENT.agent.json [SUB-AGENT.agent.json]");
    return 2;
}

try
{
    await RunAsync(args);
    return 0;
}
catch (Exception ex) when (ex is SkybridgeCredentialsException or SkybridgeTokenException or HttpRequestException)
{
    // Refusals name the RFC error (invalid_client, invalid_scope...) and never a token or a key.
    Console.Error.WriteLine("error: " + ex.Message);
    return 1;
}

static async Task RunAsync(string[] args)
{
    var credentials = SkybridgeAgentCredentials.Load(args[0]);
    using var http = SkybridgeAgent.CreateHttpClient(credentials);
    var me = await http.GetFromJsonAsync<JsonElement>("/api/agent/whoami");
    Console.WriteLine($"{me.GetProperty("clientId")} acts in {me.GetProperty("workflow")} with scope '{me.GetProperty("scope")}'");

    if (args.Length > 1)
    {
        // A sub-agent acts for this agent through token exchange: narrower scope, its own key, the chain in `act`.
        using var parentTokens = new SkybridgeTokenClient(credentials);
        using var sub = SkybridgeAgent.CreateDelegatedHttpClient(SkybridgeAgentCredentials.Load(args[1]), parentTokens.GetAccessTokenAsync, scope: "cases:read");
        var delegated = await sub.GetFromJsonAsync<JsonElement>("/api/agent/whoami");
        Console.WriteLine($"{delegated.GetProperty("clientId")} acts for {delegated.GetProperty("subject")} with scope '{delegated.GetProperty("scope")}'");
    }
}
