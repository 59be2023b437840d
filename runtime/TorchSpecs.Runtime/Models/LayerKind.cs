// One file, two assemblies: compiled into the runtime (public, namespace TorchSpecs) and linked
// into the generator (internal, TorchSpecs.Generator.Model; TorchSpecs.Generator.csproj defines
// TORCHSPECS_GENERATOR). The generator emits `global::TorchSpecs.LayerKind.<Member>` from its own
// copy of this enum, so the two can never disagree. A project that references both assemblies
// (the tests) sees two types with two names, never CS0433.
//
// What a kind is to everything outside the generator lives in the table below, one row per
// kind: the spec's type name, Keras' class name, the TorchSharp module classes that implement
// it. The generator's definition of a kind (generator/TorchSpecs.Generator/Kinds/) adds its
// keys, shape rule, costs and emission.

#if TORCHSPECS_GENERATOR
namespace TorchSpecs.Generator.Model;
#else
namespace TorchSpecs;
#endif

/// <summary>The kind of a layer row, as the spec's <c>type</c> names it.</summary>
#if TORCHSPECS_GENERATOR
internal
#else
public
#endif
enum LayerKind { Conv, MaxPool, AvgPool, AdaptiveAvgPool, Lrn, BatchNorm, Dropout, Flatten, Dense, ZeroPad, Resize, Activation, GlobalAvgPool }

/// <summary>The names of each <see cref="LayerKind"/>: in the spec, in Keras, in TorchSharp.</summary>
#if TORCHSPECS_GENERATOR
internal
#else
public
#endif
static class LayerKinds
{
    /// <summary>One row per kind: the spec's <c>type</c>, Keras' class name, the module classes a row of the kind builds.</summary>
    private static readonly (LayerKind Kind, string Type, string Keras, string[] Modules)[] Table =
    {
        (LayerKind.Conv, "conv", "Conv2D", new[] { "Conv2d" }),
        (LayerKind.MaxPool, "maxpool", "MaxPooling2D", new[] { "MaxPool2d" }),
        (LayerKind.AvgPool, "avgpool", "AveragePooling2D", new[] { "AvgPool2d" }),
        (LayerKind.AdaptiveAvgPool, "adaptive_avgpool", "AdaptiveAvgPool2D", new[] { "AdaptiveAvgPool2d" }),
        (LayerKind.Lrn, "lrn", "LRN", new[] { "LocalResponseNorm" }),
        (LayerKind.BatchNorm, "batchnorm", "BatchNormalization", new[] { "BatchNorm2d", "BatchNorm1d" }),
        (LayerKind.Dropout, "dropout", "Dropout", new[] { "Dropout" }),
        (LayerKind.Flatten, "flatten", "Flatten", new[] { "Flatten" }),
        (LayerKind.Dense, "dense", "Dense", new[] { "Linear" }),
        (LayerKind.ZeroPad, "zeropad", "ZeroPadding2D", new[] { "ZeroPad2d" }),
        (LayerKind.Resize, "resize", "Resizing", new[] { "Resize" }),
        (LayerKind.Activation, "activation", "Activation", new[] { "ReLU", "Tanh", "Sigmoid", "Softmax", "Identity" }),
        (LayerKind.GlobalAvgPool, "global_avgpool", "GlobalAveragePooling2D", new[] { "GlobalAvgPool" }),
    };

    /// <summary>Every kind, in the order of the enum.</summary>
    public static System.Collections.Generic.IReadOnlyList<LayerKind> All { get; } = System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Select(Table, r => r.Kind));

    /// <summary>The spec's <c>type</c> name: <c>conv</c>, <c>maxpool</c>, <c>adaptive_avgpool</c>, ...</summary>
    public static string TypeName(this LayerKind kind) => Row(kind).Type;

    /// <summary>Keras' class name for the kind, as its summaries print it.</summary>
    public static string KerasType(this LayerKind kind) => Row(kind).Keras;

    /// <summary>The TorchSharp module classes (type names) a row of this kind builds.</summary>
    public static System.Collections.Generic.IReadOnlyList<string> ModuleTypes(this LayerKind kind) => Row(kind).Modules;

    /// <summary>The kind a spec's <c>type</c> names.</summary>
    public static bool TryParse(string typeName, out LayerKind kind)
    {
        foreach (var row in Table)
        {
            if (row.Type == typeName) { kind = row.Kind; return true; }
        }
        kind = default;
        return false;
    }

    /// <summary>The kind whose row builds a module of this class (<c>Conv2d</c> → conv), if any.</summary>
    public static LayerKind? FromModuleType(string moduleType)
    {
        foreach (var row in Table)
        {
            if (System.Array.IndexOf(row.Modules, moduleType) >= 0) return row.Kind;
        }
        return null;
    }

    private static (LayerKind Kind, string Type, string Keras, string[] Modules) Row(LayerKind kind)
    {
        foreach (var row in Table)
        {
            if (row.Kind == kind) return row;
        }
        throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "not a layer kind");
    }
}
