using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Diagnostics;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Analyzer;

/// <summary>
/// TorchSpecsAnalyzer through CompilationWithAnalyzers (the IDE's path): the same diagnostics as
/// the generator's own steps give for the whole project, none reported by the generator itself,
/// and a live edit of one spec seen without a build.
/// </summary>
public class AnalyzerTests
{
    /// <summary>
    /// What the generator's pipeline computes for a project, every spec seeing every other (the
    /// diagnostics the build printed before the analyzer took them over): per spec in file order,
    /// its result's diagnostics, then its duplicate-name diagnostic.
    /// </summary>
    private static List<string> PipelineDiagnostics(IReadOnlyList<(string Path, string Yaml)> specs)
    {
        var files = specs.Select(s => SpecFamily.Read(GeneratorHarness.Absolute(s.Path), s.Yaml)).ToList();
        var results = files.Select(f => TorchSpecsGenerator.Infer(SpecFamily.Resolve(f, files.ToImmutableArray()))).ToImmutableArray();
        var duplicates = TorchSpecsGenerator.FindDuplicates(results);
        return results
            .SelectMany(r => r.Diagnostics.Select(d => d.ToDiagnostic())
                .Concat(duplicates.Where(d => d.FilePath == r.FilePath).Select(d => d.Diagnostic.ToDiagnostic())))
            .Select(AnalyzerHarness.Format)
            .ToList();
    }

    public static TheoryData<string> DocumentedIds() => DocsTests.DocumentedIds();

    [Theory]
    [MemberData(nameof(DocumentedIds))]
    public void EachDocumentedWrongSpecGivesThePipelinesDiagnosticsFromTheAnalyzerAndNoneFromTheGenerator(string id)
    {
        var section = DocsTests.Sections().Single(s => s.Id == id);
        var specs = section.Wrong.Select(b => (b.File ?? "specs/x.yaml", b.Text)).ToList();
        var run = GeneratorHarness.Run(specs.ToArray());

        var expected = PipelineDiagnostics(specs);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, run.AnalyzerDiagnostics.Select(AnalyzerHarness.Format).ToList());
        Assert.Empty(run.DriverDiagnostics);
        Assert.Contains(run.AnalyzerDiagnostics, d => d.Id == id);
    }

    [Fact]
    public void EveryRepositorySpecTogetherGivesNoDiagnosticAndEveryModelIsGenerated()
    {
        var specs = RepoFiles.Specs().Select(p => (Path.GetRelativePath(RepoFiles.Root, p), File.ReadAllText(p))).ToArray();
        var run = GeneratorHarness.Run(specs);
        Assert.Empty(run.AnalyzerDiagnostics.Select(AnalyzerHarness.Format));
        Assert.Empty(run.DriverDiagnostics.Select(AnalyzerHarness.Format));
        Assert.Equal(specs.Length, run.HintNames.Count(h => !h.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WholeCompilationAnalysisGivesWhatPerFileAnalysisGives()
    {
        // A command-line build analyzes the whole compilation at once; an IDE one file at a time.
        const string first = "model: Twin\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n";
        const string second = "model: Twin\ninput: 4x4x3\nlayers:\n  - { name: flatten, type: flatten, output: 47 }\n  - { name: fc, type: dense, unit: 3 }\n";
        var run = GeneratorHarness.Run(("specs/a.yaml", first), ("specs/b.yaml", second));
        var whole = await run.Output
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TorchSpecsAnalyzer()), new AnalyzerOptions(run.Texts, run.Options!))
            .GetAnalyzerDiagnosticsAsync();
        Assert.Equal(
            run.AnalyzerDiagnostics.Select(AnalyzerHarness.Format).Order(StringComparer.Ordinal),
            whole.Select(AnalyzerHarness.Format).Order(StringComparer.Ordinal));
        // The shared model name is reported on both files: a.yaml's TS0011, then b.yaml's own three.
        Assert.Equal(new[] { "TS0011", "TS0004", "TS0101", "TS0011" }, run.AnalyzerDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void AnEditSeenByTheIdeIsReportedWithoutABuild()
    {
        // The IDE holds one generator run and re-analyzes as the text changes: a new AdditionalText
        // for the edited file, the others unchanged, and no generator step in between.
        const string baseYaml = "model: Small\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }\n  - { name: flatten, type: flatten, output: 256 }\n";
        const string derived = "model: Derived\nbase: Small\nlayers:\n  - { name: conv1, filters: 8, output: 8x8x8 }\n  - { name: flatten, output: 512 }\n";
        var run = GeneratorHarness.Run(("specs/small.yaml", baseYaml), ("specs/derived.yaml", derived));
        Assert.Empty(run.AnalyzerDiagnostics);

        var edited = run.Texts.Select(t => t.Path.EndsWith("small.yaml", StringComparison.Ordinal)
            ? new InMemorySpec(t.Path, baseYaml.Replace("output: 256", "output: 255", StringComparison.Ordinal))
            : t).ToImmutableArray();
        var live = AnalyzerHarness.Analyze(run.Output, edited, run.Options!).Select(AnalyzerHarness.Format).ToList();
        Assert.Equal(new[]
        {
            "/project/specs/small.yaml(5,45): error TS0101: flatten output is 256 but the table says 255: 8 * 8 * 4 = 256",
            "/project/specs/derived.yaml(2,7): error TS0016: Base model 'Small' has errors (in small.yaml); fix them there first",
        }, live);
    }

    [Fact]
    public void FilesThatAreNotSpecsAreNotAnalyzed()
    {
        // An AdditionalFiles item without TorchSpecsSpec="true" (here a broken YAML file) is not a spec.
        var other = new OtherFile("/project/notes.yaml", "model: [\n");
        var run = GeneratorHarness.Run(new[] { new InMemorySpec("/project/specs/x.yaml", "model: M\ninput: 8x8x3\nlayers:\n  - { type: flatten, output: 192 }\n") },
            GeneratorHarness.Compilation(), new[] { other });
        Assert.Empty(run.AnalyzerDiagnostics);
    }

    private sealed class OtherFile(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;
        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) =>
            Microsoft.CodeAnalysis.Text.SourceText.From(text, System.Text.Encoding.UTF8);
    }

    /// <summary>An additional file that keeps its SourceText object, as the compiler's and the IDE's do.</summary>
    private sealed class StableText(string path, string text) : AdditionalText
    {
        private readonly Microsoft.CodeAnalysis.Text.SourceText _text = Microsoft.CodeAnalysis.Text.SourceText.From(text, System.Text.Encoding.UTF8);
        public override string Path { get; } = path;
        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    [Fact]
    public void ANewCompilationReadsOnlyTheSpecWhoseTextChanged()
    {
        // An editor makes a new compilation on each edit: the specs whose text did not change are not read again.
        string root = $"/cache-{Guid.NewGuid():N}/specs/";
        const string baseYaml = "model: Small\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }\n  - { name: flatten, type: flatten, output: 256 }\n";
        const string derived = "model: Derived\nbase: Small\nlayers:\n  - { name: flatten, output: 256 }\n";
        const string other = "model: Other\ninput: 4x4x3\nlayers:\n  - { name: flatten, type: flatten, output: 48 }\n";
        var texts = ImmutableArray.Create<AdditionalText>(new StableText(root + "small.yaml", baseYaml), new StableText(root + "derived.yaml", derived), new StableText(root + "other.yaml", other));
        var options = new GeneratorHarness.OptionsProvider(texts.Select(t => t.Path));
        var reads = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Seen(string path) { if (path.StartsWith(root, StringComparison.Ordinal)) reads.Enqueue(path.Substring(root.Length)); }
        TorchSpecsAnalyzer.TextRead += Seen;
        try
        {
            Assert.Empty(AnalyzerHarness.Analyze(GeneratorHarness.Compilation(), texts, options));
            Assert.Equal(new[] { "derived.yaml", "other.yaml", "small.yaml" }, reads.Order(StringComparer.Ordinal));

            reads.Clear();
            var edited = texts.SetItem(2, new StableText(root + "other.yaml", other.Replace("output: 48", "output: 47", StringComparison.Ordinal)));
            var diagnostics = AnalyzerHarness.Analyze(GeneratorHarness.Compilation(), edited, options);
            Assert.Equal(new[] { "other.yaml" }, reads);
            Assert.Equal("TS0101", Assert.Single(diagnostics).Id);
        }
        finally
        {
            TorchSpecsAnalyzer.TextRead -= Seen;
        }
    }

    [Fact]
    public void TheAnalyzerSupportsEveryDescriptor()
    {
        Assert.Equal(
            TorchSpecs.Generator.Diagnostics.DiagnosticDescriptors.All.Select(d => d.Id).Order(StringComparer.Ordinal),
            new TorchSpecsAnalyzer().SupportedDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }
}
