using BenchmarkDotNet.Running;

// Runs the benchmarks named by --filter; see docs/performance.md for the figures and the machine they ran on.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
