using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Generator.Inference;
using TorchSpecs.Generator.Parsing;

namespace TorchSpecs.Generator;

/// <summary>
/// Reports every TS diagnostic of every spec (an AdditionalFiles item with TorchSpecsSpec="true").
/// Generators generate and analyzers diagnose: editors refresh an analyzer's diagnostics on an
/// additional file as it is edited, a generator's only after a build. The work is the generator's
/// own, step for step (<see cref="SpecFamily.Read"/>, <see cref="SpecFamily.Resolve"/>,
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
    /// The specs of one compilation. A spec is read, resolved and inferred when it is analyzed;
    /// the other specs' headers (model and base names) are read once, and only when this spec
    /// needs them: for its base chain, or when another spec's header names the same model.
    /// </summary>
    private sealed class ProjectSpecs
    {
        private readonly AnalyzerOptions _options;
        private readonly Lazy<ImmutableArray<SpecSource>> _headers;
        private readonly ConcurrentDictionary<string, InferenceResult> _results = new(StringComparer.Ordinal);

        public ProjectSpecs(AnalyzerOptions options)
        {
            _options = options;
            _headers = new Lazy<ImmutableArray<SpecSource>>(ReadHeaders, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        private bool IsSpec(AdditionalText file) =>
            TorchSpecsGenerator.IsSpec(_options.AnalyzerConfigOptionsProvider.GetOptions(file));

        /// <summary>Every spec's header, in the order of the additional files (the generator's order).</summary>
        private ImmutableArray<SpecSource> ReadHeaders() => _options.AdditionalFiles
            .Where(IsSpec)
            .Select(file => SpecParser.ReadHeader(file.Path, file.GetText(CancellationToken.None)?.ToString()))
            .ToImmutableArray();

        private InferenceResult Result(AdditionalText file, CancellationToken cancellationToken) =>
            _results.GetOrAdd(file.Path, _ =>
            {
                var read = SpecFamily.Read(file.Path, file.GetText(cancellationToken)?.ToString());
                // A spec without family keys is complete in itself (SpecFamily.Resolve passes it through).
                var headers = read.Parsed is null ? _headers.Value : ImmutableArray<SpecSource>.Empty;
                return TorchSpecsGenerator.Infer(SpecFamily.Resolve(read, headers));
            });

        public void Analyze(AdditionalFileAnalysisContext context)
        {
            var file = context.AdditionalFile;
            if (!IsSpec(file)) return;
            var result = Result(file, context.CancellationToken);
            foreach (var diagnostic in result.Diagnostics)
                context.ReportDiagnostic(diagnostic.ToDiagnostic());

            // TS0011 goes on the later of two specs with one model name (in path order): only specs
            // whose header names this model and whose path comes first can make this one a duplicate.
            if (result.ModelName is null) return;
            var earlier = _headers.Value
                .Where(h => h.Model == result.ModelName && string.CompareOrdinal(h.FilePath, file.Path) < 0)
                .Select(h => _options.AdditionalFiles.First(f => f.Path == h.FilePath))
                .ToList();
            if (earlier.Count == 0) return;
            var candidates = earlier.Select(f => Result(f, context.CancellationToken)).Append(result).ToImmutableArray();
            foreach (var duplicate in TorchSpecsGenerator.FindDuplicates(candidates).Where(d => d.FilePath == file.Path))
                context.ReportDiagnostic(duplicate.Diagnostic.ToDiagnostic());
        }
    }
}
