using Microsoft.CodeAnalysis;

namespace TorchSpecs.Generator;

/// <summary>
/// Generated models need TorchSpecs.Runtime. A project that references the generator but not the
/// runtime gets one TS0301 and no generated code, instead of a CS0246 for every generated type.
/// </summary>
internal static class RuntimeReference
{
    /// <summary>A type of TorchSpecs.Runtime that every generated model uses.</summary>
    public const string ProbeType = "TorchSpecs.ModelInfo";

    /// <summary>Whether the compilation references the runtime (a bool, so the step caches across edits).</summary>
    public static IncrementalValueProvider<bool> Register(IncrementalGeneratorInitializationContext context)
    {
        var referenced = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(ProbeType) is not null);
        context.RegisterSourceOutput(referenced, static (spc, isReferenced) =>
        {
            if (!isReferenced) spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.RuntimeNotReferenced, Location.None));
        });
        return referenced;
    }

    /// <summary>The values, or none when the runtime is not referenced.</summary>
    public static IncrementalValuesProvider<T> WhenReferenced<T>(this IncrementalValuesProvider<T> values, IncrementalValueProvider<bool> referenced) =>
        values.Combine(referenced).Where(static pair => pair.Right).Select(static (pair, _) => pair.Left);
}
