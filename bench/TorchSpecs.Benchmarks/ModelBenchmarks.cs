using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// Generated vs hand-written TorchSharp, forward and forward+backward. The hand-written
/// benchmark is each group's baseline, so BenchmarkDotNet's Ratio column is generated/hand-written.
/// </summary>
[Config(typeof(ModelConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class ModelBenchmarks
{
    [ParamsSource(nameof(NetworkNames))]
    public string Network { get; set; } = "";

    public static IEnumerable<string> NetworkNames => Networks.Names;

    private Workload _workload = null!;

    [GlobalSetup(Targets = new[] { nameof(HandWrittenForward) })] public void SetupHandForward() => _workload = Workloads.Get(Network, generated: false, train: false);
    [GlobalSetup(Targets = new[] { nameof(GeneratedForward) })] public void SetupGeneratedForward() => _workload = Workloads.Get(Network, generated: true, train: false);
    [GlobalSetup(Targets = new[] { nameof(HandWrittenForwardBackward) })] public void SetupHandTrain() => _workload = Workloads.Get(Network, generated: false, train: true);
    [GlobalSetup(Targets = new[] { nameof(GeneratedForwardBackward) })] public void SetupGeneratedTrain() => _workload = Workloads.Get(Network, generated: true, train: true);

    [Benchmark(Baseline = true, Description = "hand-written"), BenchmarkCategory("Forward")]
    public void HandWrittenForward() => _workload.Forward();

    [Benchmark(Description = "generated"), BenchmarkCategory("Forward")]
    public void GeneratedForward() => _workload.Forward();

    [Benchmark(Baseline = true, Description = "hand-written"), BenchmarkCategory("ForwardBackward")]
    public void HandWrittenForwardBackward() => _workload.ForwardBackward();

    [Benchmark(Description = "generated"), BenchmarkCategory("ForwardBackward")]
    public void GeneratedForwardBackward() => _workload.ForwardBackward();
}
