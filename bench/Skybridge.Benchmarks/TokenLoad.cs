using System.Diagnostics;
using System.Net;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- token-load [REQUESTS] [CONCURRENCY]</c>: token issuance over real sockets. A node starts
/// in this process; the requests (each with its own client assertion and DPoP proof) are made first, then sent with
/// CONCURRENCY connections, and every answer must be a token. Prints tokens per second and latency percentiles, and
/// the machine's raw ECDSA P-256 rate measured in the same run: a token costs two signature checks (client assertion,
/// DPoP proof) and one signature (the token), which bounds issuance on any machine. Machines of one kind differ by half
/// again, so the share of that bound is the figure to compare between runs.
/// </summary>
internal static class TokenLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var total = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        var concurrency = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 32;
        var ecdsa = EcdsaBaseline.Measure(TimeSpan.FromSeconds(3));
        Console.WriteLine($"ECDSA P-256 on {Environment.ProcessorCount} cores: {ecdsa.VerifiesPerSecond:0} verifies/s, {ecdsa.SignsPerSecond:0} signs/s; bound {ecdsa.TokenBound:0} tokens/s");
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
        Console.WriteLine($"share of the ECDSA bound: {total / clock.Elapsed.TotalSeconds / ecdsa.TokenBound:P1}");
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

/// <summary>The machine's raw ECDSA P-256 (ES256) rate on every core: what token issuance is bounded by.</summary>
internal sealed record EcdsaBaseline(double VerifiesPerSecond, double SignsPerSecond)
{
    /// <summary>Tokens per second if issuing did nothing but its two verifications and one signature.</summary>
    public double TokenBound => 1 / (2 / VerifiesPerSecond + 1 / SignsPerSecond);

    public static EcdsaBaseline Measure(TimeSpan each)
    {
        var data = System.Text.Encoding.UTF8.GetBytes("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL3NreWJyaWRnZS5leGFtcGxlIn0");
        return new EcdsaBaseline(
            Rate(each, key => { var sig = key.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256); return () => key.VerifyData(data, sig, System.Security.Cryptography.HashAlgorithmName.SHA256); }),
            Rate(each, key => () => key.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256).Length > 0));
    }

    /// <summary>Operations per second over all cores, one key per core (as the node's parallel requests use them).</summary>
    private static double Rate(TimeSpan each, Func<System.Security.Cryptography.ECDsa, Func<bool>> setUp)
    {
        var counts = new long[Environment.ProcessorCount];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, counts.Length, new ParallelOptions { MaxDegreeOfParallelism = counts.Length }, core =>
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var op = setUp(key);
            for (var i = 0; i < 200; i++)
            {
                op(); // warm-up
            }

            var started = Stopwatch.StartNew();
            while (started.Elapsed < each)
            {
                for (var i = 0; i < 64; i++)
                {
                    op();
                }

                counts[core] += 64;
            }
        });
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }
}
