using BenchmarkDotNet.Running;
using TorchSpecs.Benchmarks;

// dotnet run -c Release --project bench/TorchSpecs.Benchmarks -- --filter '*ModelBenchmarks*'
// dotnet run -c Release --project bench/TorchSpecs.Benchmarks -- --filter '*GeneratorBenchmarks*'
// dotnet run -c Release --project bench/TorchSpecs.Benchmarks -- --filter '*AnalyzerBenchmarks*'
// dotnet run -c Release --project bench/TorchSpecs.Benchmarks -- interleaved [--pairs 12] [--steps 2]
// dotnet run -c Release --project bench/TorchSpecs.Benchmarks -- generator-cpu [--runs 30]
if (args.Length > 0 && args[0] == "interleaved")
    return Interleaved.Run(args[1..]);
if (args.Length > 0 && args[0] == "generator-cpu")
    return GeneratorCpu.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(ModelBenchmarks).Assembly).Run(args);
return 0;
