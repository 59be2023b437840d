using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TorchSpecs.Generator;

namespace TorchSpecs.Benchmarks;

/// <summary>
/// The generator's cost on 50 specs (the seeds, renamed, repeated): a cold run, as a build or
/// the IDE's first run does it, and the two reruns an editor does all day: after an unrelated C#
/// edit and after a comment-only edit of one spec. Step tracking is off, as in the IDE.
/// </summary>
[Config(typeof(GeneratorConfig))]
public class GeneratorBenchmarks
{
    public const int SpecCount = 50;
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private ImmutableArray<AdditionalText> _specs;
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _editedCompilation = null!;
    private BenchOptionsProvider _options = null!;
    private GeneratorDriver _driver = null!;
    private bool _flip;
    private AdditionalText _spec0 = null!, _spec0Commented = null!;

    [GlobalSetup]
    public void Setup()
    {
        _specs = FiftySpecs();
        _options = new BenchOptionsProvider(_specs.Select(s => s.Path));
        _compilation = Compilation("namespace App; public static class Program { public static int Main() => 0; }");
        _editedCompilation = Compilation("namespace App; public static class Program { public static int Main() => 1; static void Extra() { } }");
        _spec0 = _specs[0];
        _spec0Commented = new MemorySpec(_spec0.Path, _spec0.GetText()!.ToString() + "\n# reviewed\n");

        // Check once that the 50 specs generate 50 models and a catalog without a diagnostic.
        var driver = NewDriver().RunGeneratorsAndUpdateCompilation(_compilation, out var output, out var diagnostics);
        var result = driver.GetRunResult();
        if (!diagnostics.IsEmpty || result.GeneratedTrees.Length != SpecCount + 1)
            throw new InvalidOperationException($"expected {SpecCount + 1} generated files and no diagnostic, got {result.GeneratedTrees.Length} and {string.Join("; ", diagnostics)}");
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(3).ToList();
        if (errors.Count > 0) throw new InvalidOperationException("generated code does not compile: " + string.Join("; ", errors));
        _driver = driver;
    }

    private GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        new[] { new TorchSpecsGenerator().AsSourceGenerator() }, _specs, ParseOptions, _options,
        new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));

    [Benchmark(Description = "cold run, 50 specs")]
    public Compilation ColdRun()
    {
        NewDriver().RunGeneratorsAndUpdateCompilation(_compilation, out var output, out _);
        return output;
    }

    /// <summary>A cold run, returning the driver's timing (the generator's own elapsed time).</summary>
    internal GeneratorDriverTimingInfo ColdRunTiming() =>
        NewDriver().RunGeneratorsAndUpdateCompilation(_compilation, out _, out _).GetTimingInfo();

    [Benchmark(Description = "rerun after an unrelated C# edit")]
    public Compilation RerunAfterCSharpEdit()
    {
        _flip = !_flip;
        _driver = _driver.RunGeneratorsAndUpdateCompilation(_flip ? _editedCompilation : _compilation, out var output, out _);
        return output;
    }

    [Benchmark(Description = "rerun after a comment-only edit of one spec")]
    public Compilation RerunAfterSpecCommentEdit()
    {
        _flip = !_flip;
        var (from, to) = _flip ? (_spec0, _spec0Commented) : (_spec0Commented, _spec0);
        _driver = _driver.ReplaceAdditionalText(from, to).RunGeneratorsAndUpdateCompilation(_compilation, out var output, out _);
        return output;
    }

    /// <summary>The seed specs, renamed and repeated to 50.</summary>
    internal static ImmutableArray<AdditionalText> FiftySpecs()
    {
        string seeds = FindUp(Path.Combine("specs", "seeds"))
            ?? throw new DirectoryNotFoundException("specs/seeds not found above the current or program folder");
        var texts = Directory.GetFiles(seeds, "*.yaml").OrderBy(p => p, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        var model = new Regex(@"^model:\s*(\w+)", RegexOptions.Multiline);
        var baseKey = new Regex(@"^base:\s*(\w+)", RegexOptions.Multiline);
        var names = texts.Select(t => model.Match(t).Groups[1].Value).ToList();
        int n = texts.Length;
        return Enumerable.Range(0, SpecCount).Select(i =>
        {
            string text = model.Replace(texts[i % n], m => $"model: {m.Groups[1].Value}V{i}");
            // A spec with base: points at the copy of its base made in the same round of copies.
            text = baseKey.Replace(text, m =>
            {
                int j = i - i % n + names.IndexOf(m.Groups[1].Value);
                if (j >= SpecCount) j -= n;
                return $"base: {m.Groups[1].Value}V{j}";
            });
            return (AdditionalText)new MemorySpec($"/bench/specs/spec{i:D2}.yaml", text);
        }).ToImmutableArray();
    }

    internal static string? FindUp(string relative)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        return null;
    }

    private static CSharpCompilation Compilation(string source)
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(ModelInfo).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("BenchAssembly", new[] { CSharpSyntaxTree.ParseText(source, ParseOptions) }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }
}

internal sealed class MemorySpec(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);
    public override string Path { get; } = path;
    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>The TorchSpecsSpec metadata and build properties, as TorchSpecs.targets sets them.</summary>
internal sealed class BenchOptionsProvider(IEnumerable<string> specPaths) : AnalyzerConfigOptionsProvider
{
    private readonly HashSet<string> _specs = new(specPaths, StringComparer.Ordinal);
    private static readonly Options Spec = new(new() { ["build_metadata.AdditionalFiles.TorchSpecsSpec"] = "true" });

    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new()
    {
        ["build_property.RootNamespace"] = "BenchModels",
        ["build_property.projectdir"] = "/bench/",
    });

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;
    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _specs.Contains(textFile.Path) ? Spec : Options.Empty;

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(new());
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
