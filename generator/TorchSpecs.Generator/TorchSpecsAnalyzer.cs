using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace TorchSpecs.Generator;

/// <summary>
/// Reports every TS diagnostic of every spec (an AdditionalFiles item with TorchSpecsSpec="true").
/// Generators generate and analyzers diagnose: editors refresh an analyzer's diagnostics on an
/// additional file as it is edited, a generator's only after a build. The work is the generator's
/// own, step for step (<see cref="SpecFamily.Read"/>, <see cref="SpecFamily.Gather"/>, <see cref="SpecFamily.Resolve"/>,
/// <see cref="TorchSpecsGenerator.Infer(ResolvedSpec)"/>, <see cref="TorchSpecsGenerator.FindDuplicates"/>),
/// so a spec gives the same diagnostics here as the generator's result for it; the generator
/// reports none of them itself, so a build shows each once.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TorchSpecsAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => DiagnosticDescriptors.All;

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var project = new ProjectSpecs(start.Options);
            start.RegisterAdditionalFileAction(project.Analyze);
        });
    }

    /// <summary>
    /// What a spec's text gives on its own (its read, and for a spec without family keys its
    /// result), kept with the text: an editor makes a new compilation on every keystroke, but an
    /// unchanged file keeps its SourceText object, so only the edited spec is read again.
    /// </summary>
    private sealed class Cache
    {
        private static readonly ConditionalWeakTable<SourceText, Cache> ByText = new();

        private Cache(string path, SpecFile read) { Path = path; Read = read; }

        public string Path { get; }
        public SpecFile Read { get; }
        public InferenceResult? Plain { get; set; }

        public static Cache Get(AdditionalText file, CancellationToken cancellationToken)
        {
            var text = file.GetText(cancellationToken);
            if (text is null) return new Cache(file.Path, ReadText(file.Path, null));
            var cache = ByText.GetValue(text, t => new Cache(file.Path, ReadText(file.Path, t.ToString())));
            // One text object under two paths (never seen): the read names its path, so read it again.
            return cache.Path == file.Path ? cache : new Cache(file.Path, ReadText(file.Path, text.ToString()));
        }

        private static SpecFile ReadText(string path, string? text)
        {
            TextRead?.Invoke(path);
            return SpecFamily.Read(path, text);
        }
    }

    /// <summary>Raised with the path each time a spec's text is read (for the caching tests).</summary>
    internal static event Action<string>? TextRead;


    /// <summary>
    /// The specs of one compilation. A spec is read, resolved and inferred when it is analyzed;
    /// the other specs' headers (model and base names) are read once, and only when this spec
    /// needs them: for its base chain, or when another spec's header names the same model.
    /// </summary>
    private sealed class ProjectSpecs
    {
        private readonly AnalyzerOptions _options;
        private readonly Lazy<ImmutableArray<SpecFile>> _files;
        private readonly ConcurrentDictionary<string, InferenceResult> _results = new(StringComparer.Ordinal);

        public ProjectSpecs(AnalyzerOptions options)
        {
            _options = options;
            _files = new Lazy<ImmutableArray<SpecFile>>(ReadFiles, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        private bool IsSpec(AdditionalText file) =>
            TorchSpecsGenerator.IsSpec(_options.AnalyzerConfigOptionsProvider.GetOptions(file));

        /// <summary>Every spec's per-file read, in the order of the additional files (the generator's order).</summary>
        private ImmutableArray<SpecFile> ReadFiles() => _options.AdditionalFiles
            .Where(IsSpec)
            .Select(file => Cache.Get(file, CancellationToken.None).Read)
            .ToImmutableArray();

        private InferenceResult Result(AdditionalText file, CancellationToken cancellationToken) =>
            _results.GetOrAdd(file.Path, _ =>
            {
                var cache = Cache.Get(file, cancellationToken);
                // A spec without family keys is complete in itself (SpecFamily.Gather passes it through):
                // its result depends on its text alone, and is kept with it.
                if (cache.Read.Parsed is not null)
                    return cache.Plain ??= TorchSpecsGenerator.Infer(SpecFamily.Resolve(cache.Read, ImmutableArray<SpecFile>.Empty));
                return TorchSpecsGenerator.Infer(SpecFamily.Resolve(cache.Read, _files.Value));
            });

        public void Analyze(AdditionalFileAnalysisContext context)
        {
            var file = context.AdditionalFile;
            if (!IsSpec(file)) return;
            var result = Result(file, context.CancellationToken);
            foreach (var diagnostic in result.Diagnostics)
                context.ReportDiagnostic(diagnostic.ToDiagnostic());

            // TS0011 goes on every spec that shares its model name with another: only specs whose
            // header names this model can make this one a duplicate.
            if (result.ModelName is null) return;
            var others = _files.Value
                .Where(f => f.Header.Model == result.ModelName && f.Header.FilePath != file.Path)
                .Select(f => _options.AdditionalFiles.First(a => a.Path == f.Header.FilePath))
                .ToList();
            if (others.Count == 0) return;
            var candidates = others.Select(f => Result(f, context.CancellationToken)).Append(result).ToImmutableArray();
            foreach (var duplicate in TorchSpecsGenerator.FindDuplicates(candidates).Where(d => d.FilePath == file.Path))
                context.ReportDiagnostic(duplicate.Diagnostic.ToDiagnostic());
        }
    }
}
