
namespace TorchSpecs.Generator.Kinds;

/// <summary>
/// Everything the generator knows about one layer kind, in one place: its keys (type, range,
/// default, description, example), its default name prefix, how a row of it is read, its shape
/// rule with parameter count and multiply-adds, its receptive-field window, and how it is emitted
/// (module type, constructor, the <c>LayerInfo.Attributes</c> and <c>LayerInfo.Window</c>
/// literals, the words of its XML doc). The kind's names outside the generator (spec type, Keras
/// class, TorchSharp modules) are the shared
/// <see cref="LayerKinds"/> table. Adding a kind is one definition (a file in Kinds/), its row
/// in that table and in <see cref="LayerDefinitions.All"/>.
/// </summary>
internal abstract class LayerDefinition(LayerKind kind, string namePrefix, string description, string example, params string[] extraNames)
{
    public LayerKind Kind { get; } = kind;

    /// <summary>The spec's <c>type</c> name (from the shared table).</summary>
    public string TypeName => Kind.TypeName();

    /// <summary>An unnamed row is called this prefix and its number among rows of its type: conv1, pool2.</summary>
    public string NamePrefix { get; } = namePrefix;

    /// <summary>What the kind is, in one sentence (docs and the JSON Schema).</summary>
    public string Description { get; } = description;

    /// <summary>A row of this kind as a spec writes it.</summary>
    public string Example { get; } = example;

    /// <summary>The kind's own keys, besides <see cref="Keys.Common"/>, in the order rows are read.</summary>
    public abstract EquatableArray<KeyDefinition> Keys { get; }

    /// <summary>Names other frameworks give the kind (for "did you mean"): Keras' class and the TorchSharp modules, and any extra.</summary>
    public IEnumerable<string> ForeignNames => new[] { Kind.KerasType() }.Concat(Kind.ModuleTypes()).Concat(ExtraNames);

    /// <summary>Further names a user may write for the kind (PyTorch's function names, common abbreviations).</summary>
    protected IReadOnlyList<string> ExtraNames { get; } = extraNames;

    /// <summary>All keys a row of this kind takes, common ones first.</summary>
    public IEnumerable<KeyDefinition> AllKeys => Kinds.Keys.Common.Concat(Keys);

    public bool Takes(string key) => Keys.Any(k => k.Name == key);

    /// <summary>Reads the kind's keys from a row (name, type, output and torch_name are read by the caller).</summary>
    public abstract LayerSpec Read(SpecParser.RowReader row);

    /// <summary>The shape rule: the row's output on <see cref="ShapeInference.ShapeStep.In"/>, its parameters and multiply-adds; null after reporting why not.</summary>
    public abstract LayerPlan? Infer(ShapeInference.ShapeStep step);

    /// <summary>
    /// The row's effect on the receptive field, emitted into <c>LayerInfo.Window</c>: its window
    /// along each axis on the row's input (<see cref="LayerPlan.Input"/>), or that it sees the
    /// whole input. A kind that does not say otherwise is pointwise (1x1, stride 1).
    /// </summary>
    public abstract LayerWindow ReceptiveField(LayerPlan plan);

    /// <summary>The arithmetic behind the inferred size, as a TS0101 message shows it.</summary>
    public virtual string Arithmetic(ShapeInference.ShapeStep step, Shape? declared) => $"a {TypeName} row keeps its input shape {step.In}";

    /// <summary>A hint for a documented output that differs from the inferred one ("" for none).</summary>
    public virtual string Hint(ShapeInference.ShapeStep step, Shape declared) => "";

    /// <summary>The row in words for XML docs and summaries: "conv 11x11, 96 filters, stride 4" (padding and activation are added by the caller).</summary>
    public abstract string Describe(LayerPlan plan);

    /// <summary>The type of the generated property.</summary>
    public abstract string ModuleType(LayerPlan plan);

    /// <summary>The expression that builds the module (device/dtype in scope as <c>device</c>, <c>dtype</c>).</summary>
    public abstract string Construct(LayerPlan plan);

    /// <summary>The <c>LayerInfo.Attributes</c> literal: the row's hyperparameters as the module applies them.</summary>
    public abstract string Attributes(LayerPlan plan);

    /// <summary>A padding module of a max pool pads with minus infinity (how Keras ignores padding there).</summary>
    public virtual bool PadsWithMinusInfinity => false;
}

/// <summary>A definition typed by its spec record: the casts happen here once, not in every rule.</summary>
internal abstract class LayerDefinition<T>(LayerKind kind, string namePrefix, string description, string example, params string[] extraNames)
    : LayerDefinition(kind, namePrefix, description, example, extraNames) where T : LayerSpec
{
    public sealed override LayerPlan? Infer(ShapeInference.ShapeStep step) => Infer(step, (T)step.Layer);
    public sealed override LayerWindow ReceptiveField(LayerPlan plan) => ReceptiveField(plan, (T)plan.Spec);
    public sealed override string Arithmetic(ShapeInference.ShapeStep step, Shape? declared) => Arithmetic(step, (T)step.Layer, declared);
    public sealed override string Hint(ShapeInference.ShapeStep step, Shape declared) => Hint(step, (T)step.Layer, declared);
    public sealed override string Describe(LayerPlan plan) => Describe(plan, (T)plan.Spec);
    public sealed override string ModuleType(LayerPlan plan) => ModuleType(plan, (T)plan.Spec);
    public sealed override string Construct(LayerPlan plan) => Construct(plan, (T)plan.Spec);
    public sealed override string Attributes(LayerPlan plan) => Attributes(plan, (T)plan.Spec);

    protected abstract LayerPlan? Infer(ShapeInference.ShapeStep step, T spec);
    protected virtual LayerWindow ReceptiveField(LayerPlan plan, T spec) => LayerWindow.Pointwise;

    /// <summary>The window of a sliding-window row (conv, pooling): per axis the effective kernel d·(k − 1) + 1 and the stride.</summary>
    protected static LayerWindow SlidingWindow(IWindowSpec l) =>
        new(Sliding(l.Kernel.H, l.Stride.H, l.Dilation.H), Sliding(l.Kernel.W, l.Stride.W, l.Dilation.W));

    private static AxisWindow Sliding(int kernel, int stride, int dilation) => new((double)dilation * (kernel - 1) + 1, stride);

    protected virtual string Arithmetic(ShapeInference.ShapeStep step, T spec, Shape? declared) => $"a {TypeName} row keeps its input shape {step.In}";
    /// <summary>By default: a flat documented size that is the input flattened means a flatten row is missing above (a dropout written before the flatten).</summary>
    protected virtual string Hint(ShapeInference.ShapeStep step, T spec, Shape declared) =>
        declared.IsFlat && !step.In.IsFlat && declared.C == step.In.Elements
            ? $". {step.In} flattened is {declared.C}: add a flatten row before {spec.Name}"
            : "";
    protected abstract string Describe(LayerPlan plan, T spec);
    protected abstract string ModuleType(LayerPlan plan, T spec);
    protected abstract string Construct(LayerPlan plan, T spec);
    protected abstract string Attributes(LayerPlan plan, T spec);
}

/// <summary>The registry: every kind's definition, enumerable for the reader, the docs tests and the JSON Schema.</summary>
internal static class LayerDefinitions
{
    /// <summary>Every definition, in the order of <see cref="LayerKind"/>.</summary>
    public static readonly IReadOnlyList<LayerDefinition> All = new LayerDefinition[]
    {
        new ConvDefinition(), new MaxPoolDefinition(), new AvgPoolDefinition(), new AdaptiveAvgPoolDefinition(),
        new LrnDefinition(), new BatchNormDefinition(), new DropoutDefinition(), new FlattenDefinition(),
        new DenseDefinition(), new ZeroPadDefinition(), new ResizeDefinition(), new ActivationDefinition(),
        new GlobalAvgPoolDefinition(),
    };

    private static readonly Dictionary<LayerKind, LayerDefinition> ByKind = All.ToDictionary(d => d.Kind);
    private static readonly Dictionary<string, LayerDefinition> ByType = All.ToDictionary(d => d.TypeName, StringComparer.Ordinal);

    public static LayerDefinition Get(LayerKind kind) => ByKind[kind];

    public static bool TryGet(string typeName, out LayerDefinition definition) => ByType.TryGetValue(typeName, out definition!);

    /// <summary>The spec's type names, in kind order.</summary>
    public static IEnumerable<string> TypeNames => All.Select(d => d.TypeName);

    /// <summary>Every row key any kind takes (besides the common ones), each once.</summary>
    public static readonly string[] KindKeys = All.SelectMany(d => d.Keys).Select(k => k.Name).Distinct().ToArray();

    /// <summary>Every row key, common ones first.</summary>
    public static readonly string[] AllRowKeys = Kinds.Keys.Common.Select(k => k.Name).Concat(KindKeys).Distinct().ToArray();

    /// <summary>The kind another framework's name for a layer means (Conv2D, MaxPooling2D, linear ...), case-insensitively.</summary>
    public static LayerDefinition? ForeignName(string name) =>
        All.FirstOrDefault(d => d.ForeignNames.Any(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase))
                                || string.Equals(d.TypeName, name, StringComparison.OrdinalIgnoreCase));
}
