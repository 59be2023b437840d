using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Family;

/// <summary>A derived spec generates exactly what its expanded table, written out in full, generates.</summary>
public class FamilyExpansionTests
{
    private const string Base = FamilyDiagnosticsTests.Base;

    /// <summary>The generated class from the constructor on, with the model's own name and file taken out.</summary>
    private static string Body(GeneratorRun run, string model)
    {
        string source = run.GeneratedSource($".{model}.g.cs");
        string body = source.Substring(source.IndexOf("    [field:", StringComparison.Ordinal));
        body = body.Replace(model, "MODEL");
        return string.Join("\n", body.Split('\n').Where(l => !l.Contains("specFile:", StringComparison.Ordinal)));
    }

    private static void AssertSameModel(string derived, string full)
    {
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived), ("specs/full.yaml", full));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Equal(Body(run, "Full"), Body(run, "Derived"));
    }

    [Fact]
    public void InsertChangeAndRemoveExpandToTheTableWrittenOut()
    {
        const string derived = """
            model: Derived
            base: Small
            description: changed
            layers:
              - { after: conv1, name: conv2, type: conv, kernel: 3, filters: 4, padding: 1, activation: relu, output: 8x8x4 }
              - { name: conv1, filters: 6, output: 8x8x6, weight_init: he }
              - { before: fc, name: drop, type: dropout, rate: 0.5, output: 64 }
              - { name: pool1, type: avgpool, kernel: 2, output: 4x4x4 }
              - { name: flatten, remove: true }
              - { before: drop, type: flatten, output: 64 }
            """;
        const string full = """
            model: Full
            description: changed
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 6, padding: 1, activation: relu, weight_init: he, output: 8x8x6 }
              - { name: conv2, type: conv, kernel: 3, filters: 4, padding: 1, activation: relu, output: 8x8x4 }
              - { name: pool1, type: avgpool, kernel: 2, output: 4x4x4 }
              - { type: flatten, output: 64 }
              - { name: drop, type: dropout, rate: 0.5, output: 64 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """;
        AssertSameModel(derived, full);
    }

    [Fact]
    public void BatchNormAfterConvPutsBatchNormBetweenTheConvAndItsActivation()
    {
        const string derived = """
            model: Derived
            base: Small
            batchnorm: after_conv
            """;
        const string full = """
            model: Full
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
              - { name: bn1, type: batchnorm, activation: relu, output: 8x8x4 }
              - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
              - { name: flatten, type: flatten, output: 64 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """;
        AssertSameModel(derived, full);
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        string source = run.GeneratedSource(".Derived.g.cs");
        Assert.Contains("x = Conv1.call(x);\n", source.Replace("\r", ""));
        Assert.Contains("x = Bn1.call(x).relu_();", source);
    }

    [Fact]
    public void BatchNormAfterActivationKeepsTheActivationOnTheConvAndUsesTheDefaults()
    {
        const string derived = """
            model: Derived
            base: Small
            defaults: { eps: 0.001, momentum: 0.01 }
            batchnorm: after_activation
            """;
        const string full = """
            model: Full
            input: 8x8x3
            defaults: { eps: 0.001, momentum: 0.01 }
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, activation: relu, output: 8x8x4 }
              - { name: bn1, type: batchnorm, output: 8x8x4 }
              - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
              - { name: flatten, type: flatten, output: 64 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """;
        AssertSameModel(derived, full);
    }

    [Fact]
    public void AChainOfBasesExpandsInOrder()
    {
        const string middle = """
            model: Middle
            base: Small
            layers:
              - { after: conv1, name: conv2, type: conv, kernel: 3, filters: 8, padding: 1, activation: relu, output: 8x8x8 }
              - { name: pool1, output: 4x4x8 }
              - { name: flatten, output: 128 }
            """;
        const string top = """
            model: Top
            base: Middle
            batchnorm: after_conv
            layers:
              - { name: fc, units: 5, output: 5 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/middle.yaml", middle), ("specs/top.yaml", top));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        string source = run.GeneratedSource(".Top.g.cs");
        var names = System.Text.RegularExpressions.Regex.Matches(source, "ComponentName\\(Name = \"([a-z0-9_]+)\"\\)").Select(m => m.Groups[1].Value);
        Assert.Equal(new[] { "conv1", "bn1", "conv2", "bn2", "pool1", "flatten", "fc" }, names);
        Assert.Contains("global::TorchSharp.torch.nn.Linear(128, 5,", source);
    }

    [Fact]
    public void TorchNameIsCarriedIntoTheLayerTable()
    {
        string yaml = Base.Replace("{ name: conv1,", "{ name: conv1, torch_name: features.0,");
        var run = GeneratorHarness.Run(("specs/small.yaml", yaml));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Contains("TorchName: \"features.0\"", run.GeneratedSource(".Small.g.cs"));
    }

    [Fact]
    public void PipelineValuesHoldNoYamlOrRoslynObjects()
    {
        const string derived = """
            model: Derived
            base: Small
            batchnorm: after_conv
            layers:
              - { after: conv1, name: conv2, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        Assert.Empty(run.GeneratorDiagnostics);
        var steps = run.Result.Results.Single().TrackedSteps;
        int walked = 0;
        foreach (var name in new[] { TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Infer })
            foreach (var step in steps[name])
                foreach (var (value, _) in step.Outputs)
                {
                    Walk(value, new HashSet<object>(ReferenceEqualityComparer.Instance));
                    walked++;
                }
        Assert.Equal(6, walked);
    }

    private static void Walk(object? value, HashSet<object> seen)
    {
        if (value is null or string or Enum || value.GetType().IsPrimitive) return;
        var type = value.GetType();
        Assert.False(
            type.Namespace?.StartsWith("YamlDotNet", StringComparison.Ordinal) == true
            || type.Namespace == "TorchSpecs.Generator.Parsing" && type.Name.StartsWith('Y')
            || value is ISymbol or Compilation or SyntaxNode or SyntaxTree or Location,
            $"a pipeline value holds a {type.FullName}");
        if (!type.IsValueType && !seen.Add(value)) return;
        if (value is System.Collections.IEnumerable items)
        {
            foreach (var item in items) Walk(item, seen);
            return;
        }
        foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
            Walk(field.GetValue(value), seen);
    }

    [Fact]
    public void EditingABaseRegeneratesTheDerivedSpecAndAnUnrelatedSpecStaysCached()
    {
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { name: fc, units: 2, output: 2 }
            """;
        string other = Base.Replace("model: Small", "model: Other");
        var specs = new[]
        {
            new InMemorySpec(GeneratorHarness.Absolute("specs/small.yaml"), Base),
            new InMemorySpec(GeneratorHarness.Absolute("specs/derived.yaml"), derived),
            new InMemorySpec(GeneratorHarness.Absolute("specs/other.yaml"), other),
        };
        var first = GeneratorHarness.Run(specs, GeneratorHarness.Compilation());
        Assert.Empty(first.GeneratorDiagnostics);

        specs[0] = new InMemorySpec(specs[0].Path, Base.Replace("filters: 4, padding: 1, activation: relu, output: 8x8x4", "filters: 4, padding: 1, activation: tanh, output: 8x8x4"));
        var second = first.Rerun(specs);
        Assert.Empty(second.GeneratorDiagnostics);
        Assert.Contains("x = Conv1.call(x).tanh_();", second.GeneratedSource(".Derived.g.cs"));

        var infer = second.Result.Results.Single().TrackedSteps[TrackingNames.Infer];
        var reasons = infer.SelectMany(step => step.Outputs).Select(o => o.Reason).ToList();
        // small.yaml and derived.yaml changed; other.yaml's inference is not redone.
        Assert.Equal(2, reasons.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reasons.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }
}
