using System.Diagnostics;
using System.Net;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- token-load [REQUESTS] [CONCURRENCY]</c>: token issuance over real sockets. A node starts
/// in this process; the requests (each with its own client assertion and DPoP proof) are made first, then sent with
/// CONCURRENCY connections, and every answer must be a token. Prints tokens per second and latency percentiles.
/// </summary>
internal static class TokenLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var total = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 32;
        await using var rig = await IssuanceRig.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseCookies = false }) { BaseAddress = new Uri(rig.Issuer) };

        // Warm up (JIT tiers, connections, ledger) with 20,000 tokens, then make the measured requests.
        await SendAsync(http, rig, rig.Wire(20_000), concurrency, null);
        var wire = rig.Wire(total);
        var latencies = new double[total];
        var clock = Stopwatch.StartNew();
        await SendAsync(http, rig, wire, concurrency, latencies);
        clock.Stop();

        Array.Sort(latencies);
        Console.WriteLine($"{total} tokens over HTTP in {clock.Elapsed.TotalSeconds:0.00} s with {concurrency} connections: {total / clock.Elapsed.TotalSeconds:0} tokens/s");
        Console.WriteLine($"latency p50 {latencies[total / 2]:0.00} ms, p99 {latencies[(int)(total * 0.99)]:0.00} ms, max {latencies[^1]:0.00} ms");
        return 0;
    }

    private static async Task SendAsync(HttpClient http, IssuanceRig rig, (Dictionary<string, string> Form, string Proof)[] wire, int concurrency, double[]? latencies)
    {
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < wire.Length)
            {
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth/token") { Content = new FormUrlEncodedContent(wire[i].Form) };
                request.Headers.Add("DPoP", wire[i].Proof);
                using var response = await http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"Request {i} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                await response.Content.ReadAsByteArrayAsync();
                if (latencies is not null)
                {
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }
        });
        await Task.WhenAll(workers);
    }
}
