using BenchmarkDotNet.Running;
using Skybridge.Benchmarks;

// Runs the benchmarks named by --filter; see docs/performance.md for the figures and the machine they ran on.
// `token-load [REQUESTS] [CONCURRENCY]` instead runs the token issuance load test over HTTP;
// `action-load [CALLS] [RATE] [--node-process]` governed calls at a fixed rate against a baseline (`action-node` is its node);
// `policy-latency [DECISIONS]` times single policy decisions for the median and p99;
// `exactly-once [CALLS] [--kills N] [--seed S]` approved calls while the node is SIGKILLed at random moments;
// `eval-run [CASES] [--parallel N]` a golden set of CASES cases against the sample manifest, report included;
// `retrieval-load [ARTICLES] [--cache DIR | --sqlite DIR]` ingest by words and meaning (vectors cached), then fused answers.
if (args.Length > 0 && args[0] == "retrieval-load")
{
    return await RetrievalLoad.RunAsync(args);
}

if (args.Length > 0 && args[0] == "eval-run")
{
    return await EvalRun.RunAsync(args);
}

if (args.Length > 0 && args[0] == "exactly-once")
{
    return await ExactlyOnce.RunAsync(args);
}

if (args.Length > 0 && args[0] == "action-load")
{
    return await ActionLoad.RunAsync(args);
}

if (args.Length > 0 && args[0] == "action-node")
{
    return await ActionLoad.RunNodeAsync(args);
}

if (args.Length > 0 && args[0] == "token-load")
{
    return await TokenLoad.RunAsync(args);
}

if (args.Length > 0 && args[0] == "policy-latency")
{
    return GeneratedPolicy.RunLatency(args);
}

BenchmarkSwitcher.FromAssembly(typeof(ActionLoad).Assembly).Run(args);
return 0;
