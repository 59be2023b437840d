using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TorchSpecs.Generator.Emit;

namespace TorchSpecs.Generator;

/// <summary>
/// Compiles every spec (an AdditionalFiles item with TorchSpecsSpec="true") into a TorchSharp
/// module: parse YAML → spec → shape inference → C#. Each step's value is plain equatable
/// data, so editing C# or one spec re-runs only what depends on it. The diagnostics of these
/// steps are reported by <see cref="TorchSpecsAnalyzer"/>, which runs the same steps.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TorchSpecsGenerator : IIncrementalGenerator
{
    /// <summary>
    /// The package version, stamped into every generated class's GeneratedCode attribute: the
    /// assembly's informational version (VersionPrefix in Directory.Build.props, plus a suffix
    /// when one is packed), without the "+commit" build metadata.
    /// </summary>
    public static string Version { get; } = ReadVersion();

    private static string ReadVersion()
    {
        string version = typeof(TorchSpecsGenerator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .Select(a => a.InformationalVersion)
            .FirstOrDefault() ?? typeof(TorchSpecsGenerator).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        int metadata = version.IndexOf('+');
        return metadata < 0 ? version : version.Substring(0, metadata);
    }
    private const string DefaultNamespace = "TorchSpecs.Models";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var options = context.AnalyzerConfigOptionsProvider
            .Select((provider, _) => GeneratorOptions.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Options);

        // Without TorchSpecs.Runtime: one TS0301, and no spec reaches the pipeline (no model code, no catalog).
        var runtime = RuntimeReference.Register(context);

        // The spec filter needs the options, but reading must not: projecting back to the file
        // (the same AdditionalText object, so an Unchanged value) before Parse keeps every spec's
        // Parse step Cached when only the options change (an .editorconfig or build-property edit).
        var files = context.AdditionalTextsProvider.WhenReferenced(runtime)
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Where(static pair => IsSpec(pair.Right.GetOptions(pair.Left)))
            .Select(static (pair, _) => pair.Left)
            .Select(static (file, cancellationToken) => SpecFamily.Read(file.Path, file.GetText(cancellationToken)?.ToString()))
            .WithTrackingName(TrackingNames.Parse);

        // base: reaches across files: every spec sees the headers of all specs (model, base, a
        // hash of the text) and takes the texts of its own chain of bases. That step runs for every
        // spec when any spec changes, but its value changes only for the spec edited and the specs
        // built on it, so only those are parsed again; a spec without family keys keeps its own parse.
        var headers = files.Select(static (file, _) => file.Header).Collect();
        var chains = files
            .Combine(headers)
            .Combine(files.Collect())
            .Select(static (input, _) => SpecFamily.Gather(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(TrackingNames.Gather);
        var results = chains
            .Select(static (chain, _) => SpecFamily.Resolve(chain))
            .WithTrackingName(TrackingNames.Resolve)
            .Select(static (resolved, _) => Infer(resolved))
            .WithTrackingName(TrackingNames.Infer);

        var all = results.Collect();
        var duplicates = all.Select((models, _) => FindDuplicates(models));

        // The spec diagnostics (results and duplicates) are TorchSpecsAnalyzer's to report: it runs
        // these same steps, and editors show an analyzer's diagnostics live. Reported here too,
        // a build would print each twice. Only a spec without errors becomes a model.
        context.RegisterSourceOutput(results.Combine(duplicates).Combine(options), static (spc, input) =>
        {
            var ((result, duplicateList), opts) = input;
            if (result.Plan is null || duplicateList.Any(d => d.FilePath == result.FilePath && !d.IsFirst)) return;
            Guard(spc, result.FilePath, () =>
            {
                var (hint, source) = ModelEmitter.Emit(result.Plan, opts.Namespace, opts.Relative(result.FilePath));
                spc.AddSource(hint, SourceText.From(source, System.Text.Encoding.UTF8));
            });
        });

        var catalog = all
            .Select((models, _) => models
                .Where(m => m.Plan is not null)
                .GroupBy(m => m.Plan!.Spec.Model, StringComparer.Ordinal)
                .Where(g => g.Count() == 1)
                .Select(g => g.Single().Plan!.Spec)
                .Select(s => new CatalogEntry(s.Namespace ?? "", s.Model))
                .ToEquatableArray())
            .WithTrackingName(TrackingNames.Catalog);

        context.RegisterSourceOutput(catalog.Combine(options).Combine(runtime), static (spc, input) =>
        {
            var ((entries, opts), isReferenced) = input;
            if (!isReferenced) return;
            var resolved = entries.Select(e => e with { Namespace = e.Namespace.Length == 0 ? opts.Namespace : e.Namespace }).ToEquatableArray();
            var (hint, source) = CatalogEmitter.Emit(resolved, opts.Namespace);
            spc.AddSource(hint, SourceText.From(source, System.Text.Encoding.UTF8));
        });
    }

    internal static bool IsSpec(AnalyzerConfigOptions fileOptions) =>
        fileOptions.TryGetValue("build_metadata.AdditionalFiles.TorchSpecsSpec", out var value) &&
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Infers a resolved spec. A shape problem in a row the spec inherits (its place is in the
    /// base's file) is reported in this spec, whose changes caused it: at this spec's input: when
    /// it states one and no row it writes comes before the failing row (then only the input can
    /// have caused it), else at its base: line.
    /// </summary>
    internal static InferenceResult Infer(ResolvedSpec resolved)
    {
        var result = Infer(resolved.Parsed);
        if (resolved.BaseLocation is null || result.Diagnostics.All(d => d.Location.FilePath == result.FilePath)) return result;
        // A row this spec changes is reported at that row (its name), even where the problem is
        // at a key it inherits, such as the base's documented output.
        var layers = resolved.Parsed.Spec?.Layers.ToList() ?? new List<LayerSpec>();
        var changedRows = layers.Where(l => l.Location.FilePath == result.FilePath).ToList();
        int firstChanged = layers.FindIndex(l => l.Location.FilePath == result.FilePath);
        var input = resolved.Parsed.Spec?.InputLocation;
        LocationInfo Relocate(LocationInfo at)
        {
            if (changedRows.FirstOrDefault(l => at == l.OutputLocation) is { } changed) return changed.Location;
            int row = layers.FindIndex(l => at == l.Location || at == l.OutputLocation);
            bool onlyTheInputComesBefore = row >= 0 && (firstChanged < 0 || firstChanged > row);
            return input is not null && onlyTheInputComesBefore ? input : resolved.BaseLocation;
        }
        return result with
        {
            Diagnostics = result.Diagnostics
                .Select(d => d.Location.FilePath == result.FilePath ? d : d with { Location = Relocate(d.Location) })
                .ToEquatableArray(),
        };
    }

    internal static InferenceResult Infer(ParsedSpec parsed)
    {
        if (parsed.Spec is null)
            return new InferenceResult(parsed.FilePath, null, null, null, Cap(parsed.Diagnostics));
        // An empty model name means the name itself was wrong (reported): no model, no duplicate check.
        string? modelName = parsed.Spec.Model.Length == 0 ? null : parsed.Spec.Model;
        try
        {
            // A spec with errors is still inferred, so that the rest of the table is checked,
            // but it never becomes a model.
            var inferred = ShapeInference.Run(parsed.Spec);
            var limits = inferred.Plan is null ? new List<DiagnosticInfo>() : ModelLimits.Check(inferred.Plan).ToList();
            return inferred with
            {
                ModelName = modelName,
                ModelLocation = parsed.Spec.ModelLocation,
                Plan = parsed.HasErrors || modelName is null || limits.Count > 0 ? null : inferred.Plan,
                Diagnostics = Cap(parsed.Diagnostics.Concat(inferred.Diagnostics).Concat(limits)),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.FileStart(parsed.FilePath), e.GetType().Name + ": " + e.Message);
            return new InferenceResult(parsed.FilePath, modelName, null, null, Cap(parsed.Diagnostics.Concat(new[] { error })));
        }
    }

    /// <summary>At most this many diagnostics per spec, as compilers stop listing a garbled file.</summary>
    internal const int MaxDiagnostics = 100;

    /// <summary>
    /// The first <see cref="MaxDiagnostics"/> diagnostics (errors first, each group in file order),
    /// then one TS0203 saying how many more there are.
    /// </summary>
    internal static EquatableArray<DiagnosticInfo> Cap(IEnumerable<DiagnosticInfo> all)
    {
        var diagnostics = all.ToList();
        if (diagnostics.Count <= MaxDiagnostics) return diagnostics.ToEquatableArray();
        var shown = diagnostics.Where(d => d.IsError).Concat(diagnostics.Where(d => !d.IsError)).Take(MaxDiagnostics).ToList();
        var last = shown[shown.Count - 1].Location;
        shown.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MoreDiagnostics, last, diagnostics.Count - MaxDiagnostics, MaxDiagnostics));
        return shown.ToEquatableArray();
    }

    /// <summary>
    /// Every spec whose model name another spec also uses, each reported at its own model value
    /// (so a copy is found whichever file sorts first). The first in path order is still generated.
    /// </summary>
    internal static EquatableArray<DuplicateModel> FindDuplicates(ImmutableArray<InferenceResult> models)
    {
        var duplicates = new List<DuplicateModel>();
        var groups = models.Where(m => m.ModelName is not null && m.ModelLocation is not null)
            .GroupBy(m => m.ModelName!, StringComparer.Ordinal)
            .Where(g => g.Count() > 1);
        foreach (var group in groups)
        {
            var files = group.OrderBy(m => m.FilePath, StringComparer.Ordinal).ToList();
            for (int i = 0; i < files.Count; i++)
            {
                string other = Path.GetFileName(files[i == 0 ? 1 : 0].FilePath);
                duplicates.Add(new DuplicateModel(files[i].FilePath, i == 0,
                    DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateModelName, files[i].ModelLocation!, files[i].ModelName!, other)));
            }
        }
        return duplicates.OrderBy(d => d.FilePath, StringComparer.Ordinal).ToEquatableArray();
    }

    private static void Guard(SourceProductionContext spc, string path, Action emit)
    {
        try { emit(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            spc.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.FileStart(path), e.GetType().Name + ": " + e.Message).ToDiagnostic());
        }
    }
}

/// <summary>A spec whose model name another spec also uses; the first in path order is still generated.</summary>
internal sealed record DuplicateModel(string FilePath, bool IsFirst, DiagnosticInfo Diagnostic);

/// <summary>Build properties the generator reads (CompilerVisibleProperty in TorchSpecs.targets).</summary>
internal sealed record GeneratorOptions(string Namespace, string ProjectDirectory)
{
    public static GeneratorOptions From(AnalyzerConfigOptions options)
    {
        string ns = Read(options, "build_property.TorchSpecsNamespace") ?? Read(options, "build_property.RootNamespace") ?? "TorchSpecs.Models";
        string dir = Read(options, "build_property.projectdir") ?? "";
        return new GeneratorOptions(ns, dir);
    }

    private static string? Read(AnalyzerConfigOptions options, string key) =>
        options.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>The spec's path relative to the project, with forward slashes, for docs and summaries.</summary>
    public string Relative(string path)
    {
        string full = path.Replace('\\', '/');
        string dir = ProjectDirectory.Replace('\\', '/');
        if (dir.Length > 0 && !dir.EndsWith("/", StringComparison.Ordinal)) dir += "/";
        return dir.Length > 0 && full.StartsWith(dir, StringComparison.Ordinal) ? full.Substring(dir.Length) : Path.GetFileName(full);
    }
}
