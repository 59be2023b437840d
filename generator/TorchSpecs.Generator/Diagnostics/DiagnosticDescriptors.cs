using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TorchSpecs.Generator.Diagnostics;

/// <summary>
/// Every diagnostic TorchSpecs reports, one catalog. IDs are stable: TS00xx are problems
/// of the YAML and of single values, TS01xx problems of shapes and of the table as a
/// network, TS02xx likely mistakes that still compile. Each ID is documented in
/// docs/diagnostics.md and tracked in AnalyzerReleases.*.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Spec = "TorchSpecs.Spec";
    private const string Shape = "TorchSpecs.Shape";
    private const string Usage = "TorchSpecs.Usage";
    private const string Project = "TorchSpecs.Project";
    // No help link: TorchSpecs has no public home yet, and a link to a page that does not exist
    // is worse than none. Each ID's section in docs/diagnostics.md (## TS0001, ...) is the help.
    private static DiagnosticDescriptor Make(string id, string title, string message, string category,
        DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
        new(id, title, message, category, severity, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor YamlSyntax = Make("TS0001",
        "The spec is not valid YAML", "The spec is not valid YAML here: {0}", Spec);
    public static readonly DiagnosticDescriptor DuplicateKey = Make("TS0002",
        "Duplicate key", "Key '{0}' appears twice in the same {1}; a key may appear once: delete one of them", Spec);
    public static readonly DiagnosticDescriptor WrongValueType = Make("TS0003",
        "A value has the wrong form", "'{0}' must be {1}, but it is {2}", Spec);
    public static readonly DiagnosticDescriptor UnknownKey = Make("TS0004",
        "Unknown key", "Unknown key '{0}' in {1}{2}", Spec);
    public static readonly DiagnosticDescriptor UnknownLayerType = Make("TS0005",
        "Unknown layer type", "Unknown layer type '{0}'{1}; the types are {2}", Spec);
    public static readonly DiagnosticDescriptor MissingKey = Make("TS0006",
        "A required key is missing", "{0} needs '{1}': {2}", Spec);
    public static readonly DiagnosticDescriptor InvalidValue = Make("TS0007",
        "A value is out of range", "'{0}' is {1}, but it must be {2}", Spec);
    public static readonly DiagnosticDescriptor EmptySpec = Make("TS0008",
        "The spec is empty", "{0}", Spec);
    public static readonly DiagnosticDescriptor InvalidName = Make("TS0009",
        "A name is not a valid C# identifier", "{0} '{1}' cannot be used: {2}", Spec);
    public static readonly DiagnosticDescriptor DuplicateLayerName = Make("TS0010",
        "Duplicate layer name", "Layer name '{0}' is already used by row {1}; layer names must be unique in a model: rename one of them", Spec);
    public static readonly DiagnosticDescriptor DuplicateModelName = Make("TS0011",
        "Duplicate model name", "Model '{0}' is also defined in {1}; model names must be unique in a project: rename one of them", Spec);
    public static readonly DiagnosticDescriptor ConflictingKeys = Make("TS0012",
        "Keys that cannot be used together", "{0}", Spec);
    public static readonly DiagnosticDescriptor UnknownBase = Make("TS0013",
        "Unknown base model", "No spec in this project defines model '{0}'{1}; base: names the model of another spec", Spec);
    public static readonly DiagnosticDescriptor BaseCycle = Make("TS0014",
        "Base models form a cycle", "Model '{0}' is built on itself: {1}; one spec of the cycle must write its table out", Spec);
    public static readonly DiagnosticDescriptor UnknownRow = Make("TS0015",
        "No such row in the base table", "There is no row '{0}' in the table of {1} to {2}{3}", Spec);
    public static readonly DiagnosticDescriptor BaseHasErrors = Make("TS0016",
        "The base model has errors", "Base model '{0}' has errors (in {1}); fix them there first", Spec);

    public static readonly DiagnosticDescriptor UnsupportedYaml = Make("TS0017",
        "YAML that a spec does not use", "{0}", Spec);
    public static readonly DiagnosticDescriptor SpecTooLarge = Make("TS0018",
        "The spec is too large", "{0}", Spec);

    public static readonly DiagnosticDescriptor OutputMismatch = Make("TS0101",
        "Documented output differs from the inferred shape", "{0} output is {1} but the table says {2}: {3}{4}", Shape);
    public static readonly DiagnosticDescriptor NonPositiveOutput = Make("TS0102",
        "The layer leaves nothing of its input", "{0} output would be {1}: {2}; use a smaller kernel or stride, more padding, or a larger input", Shape);
    public static readonly DiagnosticDescriptor FeatureMapIntoDense = Make("TS0103",
        "A feature map reaches a layer that needs a flat input", "{0} ({1}) gets a {2} feature map; add a flatten row before it", Shape);
    public static readonly DiagnosticDescriptor FlatIntoSpatialLayer = Make("TS0104",
        "A flat tensor reaches a layer that needs a feature map", "{0} ({1}) needs an HxWxC feature map, but its input is already flat ({2}); move the row before the flatten row or remove it", Shape);
    public static readonly DiagnosticDescriptor GroupsDoNotDivide = Make("TS0105",
        "Channels not divisible by groups", "{0} has groups: {1}, which must divide both its {2} input channels and its {3} filters; change groups or filters", Shape);
    public static readonly DiagnosticDescriptor TensorTooLarge = Make("TS0107",
        "A layer or the model is too large", "{0} {1}, more than {2}: check the sizes, kernel, stride and padding of this row and of the rows above it", Shape);
    public static readonly DiagnosticDescriptor Unsupported = Make("TS0106",
        "Not supported", "{0}", Shape);

    public static readonly DiagnosticDescriptor SuspiciousValue = Make("TS0201",
        "A value that is probably a mistake", "{0}", Usage, DiagnosticSeverity.Warning);
    public static readonly DiagnosticDescriptor SoftmaxNotLast = Make("TS0202",
        "softmax before the last row", "{0} applies softmax but is not the last row; softmax belongs at the output: use another activation here or move softmax to the last row", Usage, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor MoreDiagnostics = Make("TS0203",
        "More diagnostics than shown", "{0} more diagnostics in this spec are not shown (the first {1} are); fix those and build again", Usage, DiagnosticSeverity.Warning);
    public static readonly DiagnosticDescriptor RuntimeNotReferenced = Make("TS0301",
        "TorchSpecs.Runtime is not referenced", "The project references the TorchSpecs generator but not TorchSpecs.Runtime, which generated models need (type '" + "TorchSpecs.ModelInfo" + "' not found), so no model is generated: reference the TorchSpecs package (it brings TorchSpecs.Runtime) instead of the generator alone, or add a reference to TorchSpecs.Runtime", Project);

    public static readonly DiagnosticDescriptor InternalError = Make("TS0900",
        "TorchSpecs failed on this spec", "TorchSpecs could not process this spec ({0}); please report it with the spec attached", Spec);

    public static readonly ImmutableArray<DiagnosticDescriptor> All = typeof(DiagnosticDescriptors)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToImmutableArray();

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor Get(string id) => ById[id];
}
