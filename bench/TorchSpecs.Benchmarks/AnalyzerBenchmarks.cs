using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSpecs.Generator;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// TorchSpecsAnalyzer's cost on the 50 specs of <see cref="GeneratorBenchmarks"/>, asked as an
/// IDE asks: the diagnostics of one spec file (CompilationWithAnalyzers.GetAnalysisResultAsync)
/// in a new compilation. First with every text new (the first analysis after opening the
/// project), then after an edit of that spec with the other 49 texts unchanged (each keystroke).
/// </summary>
[Config(typeof(GeneratorConfig))]
public class AnalyzerBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private ImmutableArray<AdditionalText> _specs;
    private BenchOptionsProvider _options = null!;
    private int _edit;

    [GlobalSetup]
    public void Setup()
    {
        _specs = GeneratorBenchmarks.FiftySpecs();
        _options = new BenchOptionsProvider(_specs.Select(s => s.Path));
        var diagnostics = Analyze(_specs, 0);
        if (!diagnostics.IsEmpty) throw new InvalidOperationException("expected no diagnostic, got " + string.Join("; ", diagnostics));
    }

    private ImmutableArray<Diagnostic> Analyze(ImmutableArray<AdditionalText> texts, int file)
    {
        var compilation = CSharpCompilation.Create("BenchAssembly", new[] { CSharpSyntaxTree.ParseText("namespace App; public static class Program { }", ParseOptions) });
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TorchSpecsAnalyzer()), new AnalyzerOptions(texts, _options));
        return withAnalyzers.GetAnalysisResultAsync(texts[file], CancellationToken.None).GetAwaiter().GetResult().GetAllDiagnostics();
    }

    [Benchmark(Description = "one spec's diagnostics, every text new")]
    public ImmutableArray<Diagnostic> AllTextsNew() =>
        Analyze(_specs.Select(s => (AdditionalText)new MemorySpec(s.Path, s.GetText()!.ToString())).ToImmutableArray(), 0);

    [Benchmark(Description = "one spec's diagnostics after an edit of it, 49 texts unchanged")]
    public ImmutableArray<Diagnostic> OneTextEdited()
    {
        var edited = _specs.SetItem(0, new MemorySpec(_specs[0].Path, _specs[0].GetText()!.ToString() + $"\n# edit {++_edit}\n"));
        return Analyze(edited, 0);
    }
}
