using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TorchSpecs.Generator;

namespace TorchSpecs.Tests.Infrastructure;

/// <summary>A spec file given to the generator in memory.</summary>
public sealed class InMemorySpec(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;
    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
}

/// <summary>
/// What one build of the specs produced: the compilation with the generated code, and every
/// TorchSpecs diagnostic as a build shows it (<see cref="GeneratorDiagnostics"/>: the analyzer's,
/// which are the spec diagnostics, then the generator's own, which are only emission failures).
/// </summary>
public sealed record GeneratorRun(
    GeneratorDriver Driver,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    GeneratorDriverRunResult Result)
{
    /// <summary>The compiler's diagnostics on the compilation including the generated code.</summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics =>
        Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();

    /// <summary>What <see cref="TorchSpecsGenerator"/> itself reported through the driver.</summary>
    public ImmutableArray<Diagnostic> DriverDiagnostics { get; init; } = ImmutableArray<Diagnostic>.Empty;

    /// <summary>What <see cref="TorchSpecsAnalyzer"/> reported, file by file, through CompilationWithAnalyzers.</summary>
    public ImmutableArray<Diagnostic> AnalyzerDiagnostics { get; init; } = ImmutableArray<Diagnostic>.Empty;

    /// <summary>The build properties and spec metadata the driver and the analyzer were given.</summary>
    public AnalyzerConfigOptionsProvider? Options { get; init; }

    public string GeneratedSource(string hintNameEnd) =>
        Result.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintNameEnd, StringComparison.Ordinal)).SourceText.ToString();

    public IEnumerable<string> HintNames => Result.Results.Single().GeneratedSources.Select(s => s.HintName);

    /// <summary>Runs the same driver again on a changed input (for incremental-caching tests).</summary>
    public GeneratorRun Rerun(IEnumerable<InMemorySpec>? specs = null, Compilation? compilation = null)
        => GeneratorHarness.Rerun(this, specs, compilation);

    /// <summary>The additional files the driver holds now (the same objects, as an IDE keeps them).</summary>
    public ImmutableArray<AdditionalText> Texts { get; init; } = ImmutableArray<AdditionalText>.Empty;

    /// <summary>Runs the same driver again after one spec's text changed, every other file object kept as it was.</summary>
    public GeneratorRun RerunWithEditedSpec(string path, string newText)
        => GeneratorHarness.RerunWithEditedSpec(this, GeneratorHarness.Absolute(path), newText);

    /// <summary>Runs the same driver again with one more global build property (an options-only change).</summary>
    public GeneratorRun RerunWithGlobalOption(string key, string value)
        => GeneratorHarness.RerunWithGlobalOption(this, key, value);

    /// <summary>The tracked runs of the step <paramref name="trackingName"/> (see TrackingNames).</summary>
    public ImmutableArray<IncrementalGeneratorRunStep> Steps(string trackingName) =>
        Result.Results.Single().TrackedSteps.TryGetValue(trackingName, out var steps) ? steps : ImmutableArray<IncrementalGeneratorRunStep>.Empty;
}

/// <summary>
/// Runs <see cref="TorchSpecsGenerator"/> through <see cref="CSharpGeneratorDriver"/> on in-memory
/// specs, with step tracking on, against a compilation that references TorchSharp and the runtime,
/// then <see cref="TorchSpecsAnalyzer"/> on the result through CompilationWithAnalyzers, as a build
/// runs both.
/// </summary>
public static class GeneratorHarness
{
    public const string ProjectDirectory = "/project/";
    public const string Namespace = "TestModels";

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator);
        return trusted
            .Where(p => System.IO.Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || System.IO.Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(TorchSpecs.ModelInfo).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "TestAssembly",
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the generator on specs given as (path, YAML) pairs; paths are made absolute under <see cref="ProjectDirectory"/>.</summary>
    public static GeneratorRun Run(params (string Path, string Yaml)[] specs) =>
        Run(specs.Select(s => new InMemorySpec(Absolute(s.Path), s.Yaml)), Compilation());

    public static GeneratorRun Run(IEnumerable<InMemorySpec> specs, Compilation compilation, IEnumerable<AdditionalText>? otherFiles = null)
    {
        var texts = specs.Cast<AdditionalText>().Concat(otherFiles ?? Enumerable.Empty<AdditionalText>()).ToImmutableArray();
        var options = new OptionsProvider(texts.OfType<InMemorySpec>().Select(s => s.Path));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new TorchSpecsGenerator().AsSourceGenerator() },
            texts,
            ParseOptions,
            options,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        return Execute(driver, compilation, texts, options);
    }

    internal static GeneratorRun Rerun(GeneratorRun previous, IEnumerable<InMemorySpec>? specs, Compilation? compilation)
    {
        var driver = previous.Driver;
        var options = previous.Options!;
        if (specs is not null)
        {
            var list = specs.ToImmutableArray();
            options = new OptionsProvider(list.Select(s => s.Path));
            driver = driver.ReplaceAdditionalTexts(list.Cast<AdditionalText>().ToImmutableArray())
                           .WithUpdatedAnalyzerConfigOptions(options);
        }
        return Execute(driver, compilation ?? InputCompilation(previous), specs is null ? previous.Texts : specs.Cast<AdditionalText>().ToImmutableArray(), options);
    }

    internal static GeneratorRun RerunWithEditedSpec(GeneratorRun previous, string path, string newText)
    {
        var old = previous.Texts.Single(t => t.Path == path);
        var edited = new InMemorySpec(path, newText);
        var driver = previous.Driver.ReplaceAdditionalText(old, edited);
        return Execute(driver, InputCompilation(previous), previous.Texts.Replace(old, edited), previous.Options!);
    }

    internal static GeneratorRun RerunWithGlobalOption(GeneratorRun previous, string key, string value)
    {
        var options = new OptionsProvider(previous.Texts.OfType<InMemorySpec>().Select(s => s.Path), new() { [key] = value });
        var driver = previous.Driver.WithUpdatedAnalyzerConfigOptions(options);
        return Execute(driver, InputCompilation(previous), previous.Texts, options);
    }

    /// <summary>The compilation the previous run started from: its output without the generated trees.</summary>
    private static Compilation InputCompilation(GeneratorRun previous) =>
        previous.Output.RemoveAllSyntaxTrees().AddSyntaxTrees(
            previous.Output.SyntaxTrees.Take(previous.Output.SyntaxTrees.Count() - previous.Result.GeneratedTrees.Length));

    private static GeneratorRun Execute(GeneratorDriver driver, Compilation compilation, ImmutableArray<AdditionalText> texts, AnalyzerConfigOptionsProvider options)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult();
        var analyzer = AnalyzerHarness.Analyze(output, texts, options);
        // A build shows each diagnostic once: the generator reports none of the analyzer's.
        var twice = result.Diagnostics.Select(AnalyzerHarness.Format).Intersect(analyzer.Select(AnalyzerHarness.Format)).ToList();
        if (twice.Count > 0)
            throw new InvalidOperationException("reported by both the generator and the analyzer: " + string.Join("; ", twice));
        return new GeneratorRun(driver, output, analyzer.AddRange(result.Diagnostics), result)
        {
            Texts = texts, DriverDiagnostics = result.Diagnostics, AnalyzerDiagnostics = analyzer, Options = options,
        };
    }

    public static string Absolute(string path) => path.StartsWith('/') ? path : ProjectDirectory + path;

    /// <summary>Build properties and the TorchSpecsSpec metadata, as TorchSpecs.targets sets them.</summary>
    internal sealed class OptionsProvider(IEnumerable<string> specPaths, Dictionary<string, string>? extraGlobals = null) : AnalyzerConfigOptionsProvider
    {
        private readonly HashSet<string> _specs = new(specPaths, StringComparer.Ordinal);

        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new Dictionary<string, string>(extraGlobals ?? new())
        {
            ["build_property.RootNamespace"] = Namespace,
            ["build_property.projectdir"] = ProjectDirectory,
        });

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _specs.Contains(textFile.Path)
            ? new Options(new Dictionary<string, string> { ["build_metadata.AdditionalFiles.TorchSpecsSpec"] = "true" })
            : Options.Empty;
    }

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new Dictionary<string, string>());
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
