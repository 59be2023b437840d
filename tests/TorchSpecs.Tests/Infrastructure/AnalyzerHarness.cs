using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TorchSpecs.Generator;

namespace TorchSpecs.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="TorchSpecsAnalyzer"/> the way an IDE does: through
/// <see cref="CompilationWithAnalyzers"/>, one additional file at a time
/// (<see cref="CompilationWithAnalyzers.GetAnalysisResultAsync(AdditionalText, CancellationToken)"/>).
/// An exception in the analyzer fails the run (an IDE would only show AD0001).
/// </summary>
public static class AnalyzerHarness
{
    /// <summary>Every file's diagnostics, file by file in the order of <paramref name="texts"/>, each file's in reporting order.</summary>
    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation, ImmutableArray<AdditionalText> texts, AnalyzerConfigOptionsProvider options)
    {
        var analyzer = new TorchSpecsAnalyzer();
        var failures = new List<Exception>();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(analyzer),
            new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(texts, options),
                onAnalyzerException: (e, _, _) => { lock (failures) failures.Add(e); },
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false));
        var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
        foreach (var text in texts)
        {
            var result = withAnalyzers.GetAnalysisResultAsync(text, CancellationToken.None).GetAwaiter().GetResult();
            if (result.AdditionalFileDiagnostics.TryGetValue(text, out var byAnalyzer) && byAnalyzer.TryGetValue(analyzer, out var found))
                diagnostics.AddRange(found);
            // Nothing may land on another file, or in the compilation-wide bucket.
            var stray = result.GetAllDiagnostics().Except(byAnalyzer?.Values.SelectMany(d => d) ?? Enumerable.Empty<Diagnostic>()).ToList();
            if (stray.Count > 0) throw new InvalidOperationException($"analyzing {text.Path} reported elsewhere: {string.Join("; ", stray.Select(Format))}");
        }
        if (failures.Count > 0) throw new InvalidOperationException("TorchSpecsAnalyzer threw: " + failures[0], failures[0]);
        return diagnostics.ToImmutable();
    }

    /// <summary>A diagnostic as a build prints it: path(line,col): severity ID: message.</summary>
    public static string Format(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): " +
               $"{d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
    }
}
