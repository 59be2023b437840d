using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// In process (no generated project per benchmark: libtorch is 500 MB), one invocation per
/// iteration (a step is 50 ms to a few seconds), a few warm-up steps and enough iterations for a
/// median. Benchmarks of one network and mode run back to back, baseline first.
/// </summary>
public sealed class ModelConfig : ManualConfig
{
    public ModelConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(15)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("InProcess"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}

/// <summary>The generator is fast and allocates: the default in-process job, with allocations.</summary>
public sealed class GeneratorConfig : ManualConfig
{
    public GeneratorConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(5)
            .WithIterationCount(20)
            .WithId("InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
