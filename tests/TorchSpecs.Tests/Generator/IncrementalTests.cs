using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Generator;

/// <summary>
/// The generator's incremental caching, through the driver's step tracking: edits that do not
/// touch a spec leave that spec's pipeline steps Cached or Unchanged, and no tracked step holds
/// a Roslyn symbol, syntax node, compilation or YAML object (which would defeat the caching).
/// Timing lives in bench/TorchSpecs.Benchmarks, never here.
/// </summary>
public class IncrementalTests
{
    private const int SpecCount = 5;

    private static string Spec(int i) => $"""
        # Spec number {i}.
        model: Net{i}
        description: Test network {i}
        input: 16x16x3
        layers:
          - {"{"} name: conv1, type: conv, kernel: 3, filters: {4 + i}, padding: 1, activation: relu, output: 16x16x{4 + i} {"}"}
          - {"{"} name: pool1, type: maxpool, kernel: 2, output: 8x8x{4 + i} {"}"}
          - {"{"} name: flatten, type: flatten, output: {64 * (4 + i)} {"}"}
          - {"{"} name: fc, type: dense, units: 10, activation: softmax, output: 10 {"}"}
        """;

    private static string SpecPath(int i) => GeneratorHarness.Absolute($"specs/net{i}.yaml");

    private const string UserCode = "namespace App; public static class Program { public static int Main() => 0; }";
    private const string EditedUserCode = "namespace App; public static class Program { public static int Main() => 1; public static void Extra() { } }";

    private static GeneratorRun FirstRun()
    {
        var specs = Enumerable.Range(0, SpecCount).Select(i => new InMemorySpec(SpecPath(i), Spec(i)));
        var run = GeneratorHarness.Run(specs, GeneratorHarness.Compilation(UserCode));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(SpecCount + 1, run.HintNames.Count());
        return run;
    }

    /// <summary>Every output of every run of a step, with the spec file it belongs to (null for collected steps).</summary>
    private static IEnumerable<(string? File, IncrementalStepRunReason Reason)> Reasons(GeneratorRun run, string step) =>
        run.Steps(step).SelectMany(s => s.Outputs.Select(o => (FileOf(o.Value), o.Reason)));

    private static string? FileOf(object value) => value switch
    {
        TorchSpecs.Generator.Parsing.SpecFile f => f.Header.FilePath,
        TorchSpecs.Generator.Parsing.SpecChain c => c.FilePath,
        TorchSpecs.Generator.Parsing.ResolvedSpec r => r.Parsed.FilePath,
        TorchSpecs.Generator.Parsing.ParsedSpec p => p.FilePath,
        TorchSpecs.Generator.Inference.InferenceResult r => r.FilePath,
        _ => null,
    };

    private static void AssertCachedOrUnchanged(IEnumerable<(string? File, IncrementalStepRunReason Reason)> outputs, string step)
    {
        var list = outputs.ToList();
        Assert.NotEmpty(list);
        Assert.All(list, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{step} output for {o.File ?? "(all specs)"} was {o.Reason}"));
    }

    [Fact]
    public void TheFirstRunTracksEveryStepForEverySpec()
    {
        var run = FirstRun();
        foreach (var step in new[] { TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Infer })
        {
            var reasons = Reasons(run, step).ToList();
            Assert.Equal(SpecCount, reasons.Count);
            Assert.All(reasons, r => Assert.Equal(IncrementalStepRunReason.New, r.Reason));
            Assert.Equal(Enumerable.Range(0, SpecCount).Select(SpecPath).OrderBy(p => p), reasons.Select(r => r.File).OrderBy(p => p));
        }
        Assert.Single(run.Steps(TrackingNames.Catalog));
        Assert.Single(run.Steps(TrackingNames.Options));
    }

    [Fact]
    public void AnUnrelatedCSharpEditLeavesEveryStepCached()
    {
        var first = FirstRun();
        var second = first.Rerun(compilation: GeneratorHarness.Compilation(EditedUserCode));

        foreach (var step in new[] { TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Infer, TrackingNames.Catalog, TrackingNames.Options })
        {
            var reasons = Reasons(second, step).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r.Reason == IncrementalStepRunReason.Cached, $"{step} output for {r.File ?? "(all specs)"} was {r.Reason}"));
        }
        Assert.Equal(first.HintNames.OrderBy(h => h), second.HintNames.OrderBy(h => h));
        Assert.Empty(second.CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void ACommentOnlyEditOfOneSpecLeavesTheOtherSpecsCachedAndItsOwnResultUnchanged()
    {
        var first = FirstRun();
        const int edited = 2;
        // A comment at the end of the file: same model, same rows, same positions.
        var second = first.RerunWithEditedSpec(SpecPath(edited), Spec(edited) + "\n# Reviewed: the table matches the paper.\n");

        // The other specs: read Cached; resolved again (every spec sees all specs' headers, for
        // base:) to an equal value, so Unchanged at most; inferred Cached.
        Assert.All(Reasons(second, TrackingNames.Parse).Where(r => r.File != SpecPath(edited)), r =>
            Assert.True(r.Reason == IncrementalStepRunReason.Cached, $"Parse output for {r.File} was {r.Reason}"));
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Resolve).Where(r => r.File != SpecPath(edited)), TrackingNames.Resolve);
        Assert.All(Reasons(second, TrackingNames.Infer).Where(r => r.File != SpecPath(edited)), r =>
            Assert.True(r.Reason == IncrementalStepRunReason.Cached, $"Infer output for {r.File} was {r.Reason}"));
        // The edited spec is read again (its value holds the text, which a spec based on it
        // needs) but parses to an equal table: its chain is Unchanged, so resolution, inference
        // and emission do not run for it.
        Assert.Equal(IncrementalStepRunReason.Modified, Reasons(second, TrackingNames.Parse).Single(r => r.File == SpecPath(edited)).Reason);
        Assert.Equal(IncrementalStepRunReason.Unchanged, Reasons(second, TrackingNames.Gather).Single(r => r.File == SpecPath(edited)).Reason);
        Assert.Equal(IncrementalStepRunReason.Cached, Reasons(second, TrackingNames.Resolve).Single(r => r.File == SpecPath(edited)).Reason);
        Assert.Equal(IncrementalStepRunReason.Cached, Reasons(second, TrackingNames.Infer).Single(r => r.File == SpecPath(edited)).Reason);
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Catalog), TrackingNames.Catalog);
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Options), TrackingNames.Options);
    }

    [Fact]
    public void ACommentEditThatMovesRowsReRunsOnlyThatSpec()
    {
        var first = FirstRun();
        const int edited = 0;
        // A comment at the top shifts every row's position, so this spec's values change (its
        // diagnostics' locations would move); the other specs must not notice.
        var second = first.RerunWithEditedSpec(SpecPath(edited), "# Added a note above the table.\n" + Spec(edited));

        foreach (var step in new[] { TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Infer })
        {
            var reasons = Reasons(second, step).ToList();
            Assert.Equal(SpecCount, reasons.Count);
            var others = reasons.Where(r => r.File != SpecPath(edited));
            if (step == TrackingNames.Resolve) AssertCachedOrUnchanged(others, step);
            else Assert.All(others, r => Assert.True(r.Reason == IncrementalStepRunReason.Cached, $"{step} output for {r.File} was {r.Reason}"));
            Assert.Equal(IncrementalStepRunReason.Modified, reasons.Single(r => r.File == SpecPath(edited)).Reason);
        }
        // The catalog holds only model names, so it comes out equal.
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Catalog), TrackingNames.Catalog);
    }

    // ---- families: a chain of three (A <- B <- C) and an unrelated D ------------------------

    private static readonly string[] FamilyPaths = { "specs/a.yaml", "specs/b.yaml", "specs/c.yaml", "specs/d.yaml" };

    private static string FamilySpec(int i, int filters = 8) => i switch
    {
        0 => $"""
            model: NetA
            input: 16x16x3
            layers:
              - {"{"} name: conv1, type: conv, kernel: 3, filters: {filters}, padding: 1, activation: relu {"}"}
              - {"{"} name: pool1, type: maxpool, kernel: 2, output: 8x8x{filters} {"}"}
              - {"{"} name: flatten, type: flatten {"}"}
              - {"{"} name: fc, type: dense, units: 10 {"}"}
            """,
        1 => "model: NetB\nbase: NetA\nlayers:\n  - { name: fc, units: 20 }\n",
        2 => "model: NetC\nbase: NetB\nbatchnorm: after_conv\n",
        _ => Spec(9),
    };

    private static GeneratorRun FamilyRun() =>
        GeneratorHarness.Run(Enumerable.Range(0, 4).Select(i => new InMemorySpec(GeneratorHarness.Absolute(FamilyPaths[i]), FamilySpec(i))), GeneratorHarness.Compilation(UserCode));

    /// <summary>The specs whose Resolve step ran again (Modified or Unchanged, not Cached), by file name.</summary>
    private static string[] ResolvedAgain(GeneratorRun run) => Reasons(run, TrackingNames.Resolve)
        .Where(r => r.Reason is not IncrementalStepRunReason.Cached)
        .Select(r => System.IO.Path.GetFileName(r.File!)).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    [Fact]
    public void EditingASpecReResolvesOnlyItAndTheSpecsBuiltOnIt()
    {
        var first = FamilyRun();
        Assert.Empty(first.GeneratorDiagnostics);
        Assert.Equal(5, first.HintNames.Count());

        // The root of the chain: every spec of the chain, never the unrelated one.
        var root = first.RerunWithEditedSpec(GeneratorHarness.Absolute(FamilyPaths[0]), FamilySpec(0, filters: 16));
        Assert.Empty(root.GeneratorDiagnostics);
        Assert.Equal(new[] { "a.yaml", "b.yaml", "c.yaml" }, ResolvedAgain(root));

        // The middle of the chain: it and the spec built on it.
        var middle = first.RerunWithEditedSpec(GeneratorHarness.Absolute(FamilyPaths[1]), FamilySpec(1).Replace("units: 20", "units: 30"));
        Assert.Equal(new[] { "b.yaml", "c.yaml" }, ResolvedAgain(middle));

        // The unrelated spec: only itself; the chain's steps stay cached all the way to emission.
        var unrelated = first.RerunWithEditedSpec(GeneratorHarness.Absolute(FamilyPaths[3]), Spec(9).Replace("filters: 13", "filters: 14").Replace("16x16x13", "16x16x14").Replace("8x8x13", "8x8x14").Replace("output: 832", "output: 896"));
        Assert.Empty(unrelated.GeneratorDiagnostics);
        Assert.Equal(new[] { "d.yaml" }, ResolvedAgain(unrelated));
        Assert.All(Reasons(unrelated, TrackingNames.Infer).Where(r => !r.File!.EndsWith("d.yaml", StringComparison.Ordinal)),
            r => Assert.Equal(IncrementalStepRunReason.Cached, r.Reason));
    }

    [Fact]
    public void TheHeadersSpecsSeeOfEachOtherHoldAHashNotTheText()
    {
        var properties = typeof(TorchSpecs.Generator.Parsing.SpecHeader).GetProperties().Select(p => p.Name).ToArray();
        Assert.Contains("Hash", properties);
        Assert.DoesNotContain("Text", properties);
        var a = TorchSpecs.Generator.Parsing.SpecFamily.Read("/p/a.yaml", FamilySpec(0));
        var b = TorchSpecs.Generator.Parsing.SpecFamily.Read("/p/a.yaml", FamilySpec(0) + "# edited\n");
        Assert.NotEqual(a.Header.Hash, b.Header.Hash);
        Assert.Equal(a.Header with { Hash = "" }, b.Header with { Hash = "" });
    }

    [Fact]
    public void AnOptionsOnlyChangeDoesNotReparseAnySpec()
    {
        var first = FirstRun();
        var second = first.RerunWithGlobalOption("build_property.SomeUnrelatedProperty", "on");

        var parse = Reasons(second, TrackingNames.Parse).ToList();
        Assert.Equal(SpecCount, parse.Count);
        Assert.All(parse, r => Assert.True(r.Reason == IncrementalStepRunReason.Cached, $"Parse output for {r.File} was {r.Reason}"));
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Infer), TrackingNames.Infer);
        AssertCachedOrUnchanged(Reasons(second, TrackingNames.Options), TrackingNames.Options);
    }

    [Fact]
    public void TrackedStepOutputsHoldNoRoslynOrYamlObjects()
    {
        var first = FirstRun();
        // Include a spec with errors, so diagnostics (as data) are in the outputs too.
        var second = first.RerunWithEditedSpec(SpecPath(1), Spec(1).Replace("output: 8x8x5", "output: 9x9x5"));
        Assert.NotEmpty(second.GeneratorDiagnostics);

        var walker = new ObjectWalker();
        foreach (var run in new[] { first, second })
        {
            var steps = run.Result.Results.Single().TrackedSteps;
            foreach (var name in new[] { TrackingNames.Options, TrackingNames.Parse, TrackingNames.Resolve, TrackingNames.Infer, TrackingNames.Catalog })
                Assert.True(steps.ContainsKey(name), $"step {name} is not tracked");

            // The driver also tracks its own input and output nodes (AdditionalTexts, Compilation,
            // SourceOutput, ...), which hold Roslyn objects by design; the pipeline's own steps are
            // the ones named in TrackingNames.
            var ours = typeof(TrackingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
            foreach (var (name, runs) in steps.Where(s => ours.Contains(s.Key)))
                foreach (var step in runs)
                    foreach (var (value, _) in step.Outputs)
                        walker.Walk(value, name);
        }

        Assert.Empty(walker.Forbidden);
        // The walk really went through the pipeline's values, the diagnostics included.
        Assert.Contains(typeof(TorchSpecs.Generator.Parsing.ParsedSpec), walker.Seen);
        Assert.Contains(walker.Seen, t => typeof(TorchSpecs.Generator.Model.LayerSpec).IsAssignableFrom(t));
        Assert.Contains(typeof(TorchSpecs.Generator.Inference.LayerPlan), walker.Seen);
        Assert.Contains(typeof(TorchSpecs.Generator.Model.LocationInfo), walker.Seen);
        Assert.Contains(typeof(TorchSpecs.Generator.Diagnostics.DiagnosticInfo), walker.Seen);
    }

    /// <summary>Walks an object graph through every instance field, and the elements of collections.</summary>
    private sealed class ObjectWalker
    {
        private readonly HashSet<object> _visited = new(ReferenceEqualityComparer.Instance);
        public HashSet<Type> Seen { get; } = new();
        public List<string> Forbidden { get; } = new();

        public void Walk(object? value, string path)
        {
            if (value is null) return;
            var type = value.GetType();
            if (type.IsPrimitive || type.IsEnum || value is string or decimal or DateTime or Type or Pointer || type.IsPointer) return;
            if (!type.IsValueType && !_visited.Add(value)) return;
            Seen.Add(type);

            if (IsForbidden(type, out var why))
            {
                Forbidden.Add($"{path}: {type.FullName} ({why})");
                return;
            }

            if (value is Array array)
            {
                int i = 0;
                foreach (var item in array) Walk(item, $"{path}[{i++}]");
                return;
            }
            for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
                foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer) continue;
                    Walk(field.GetValue(value), $"{path}.{field.Name}");
                }
        }

        private static bool IsForbidden(Type type, out string why)
        {
            why = "";
            string ns = type.Namespace ?? "";
            if (ns.StartsWith("YamlDotNet", StringComparison.Ordinal)) { why = "a YamlDotNet object"; return true; }
            if (typeof(TorchSpecs.Generator.Parsing.YNode).IsAssignableFrom(type)) { why = "a YAML tree node"; return true; }
            var roslyn = new[]
            {
                typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel),
                typeof(AdditionalText), typeof(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider),
                typeof(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions), typeof(Location), typeof(Diagnostic),
                typeof(Microsoft.CodeAnalysis.Text.SourceText), typeof(SyntaxToken), typeof(SyntaxTrivia),
            };
            foreach (var forbidden in roslyn)
                if (forbidden.IsAssignableFrom(type)) { why = "a Roslyn " + forbidden.Name; return true; }
            return false;
        }
    }
}
