using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A pooling row (<c>maxpool</c>, <c>avgpool</c>): the window keys both take.</summary>
internal abstract record PoolSpec : LayerSpec, IWindowSpec
{
    public Pair Kernel { get; init; }
    public Pair Stride { get; init; }
    public PaddingSpec Padding { get; init; } = PaddingSpec.Zero;
    public Pair Dilation { get; init; } = new(1, 1);
    public bool Ceil { get; init; }
}

/// <summary>A <c>maxpool</c> row.</summary>
internal sealed record MaxPoolSpec : PoolSpec
{
    public override LayerKind Kind => LayerKind.MaxPool;
}

/// <summary>An <c>avgpool</c> row (no dilation key: libtorch's average pooling has none).</summary>
internal sealed record AvgPoolSpec : PoolSpec
{
    public override LayerKind Kind => LayerKind.AvgPool;
    /// <summary>Keras' same average pooling leaves the padding out of the mean.</summary>
    public bool CountIncludePad => Padding.Mode != PaddingMode.Same;
}

/// <summary>What max and average pooling share: the window, its shape rule and its words.</summary>
internal abstract class PoolDefinition<T>(LayerKind kind, string namePrefix, string description, string example, params string[] extraNames)
    : LayerDefinition<T>(kind, namePrefix, description, example, extraNames) where T : PoolSpec
{
    public static readonly KeyDefinition PoolKernel = Kinds.Keys.Kernel with { Description = "The pool size, k or [kh, kw]", Example = "2", Help = "the pool size, e.g. kernel: 2" };
    public static readonly KeyDefinition PoolStride = Kinds.Keys.Stride with { Default = "kernel", Description = "The step of the window, s or [sh, sw]" };

    /// <summary>The window keys, in the order rows are read; max pooling adds dilation.</summary>
    protected static EquatableArray<KeyDefinition> WindowKeys(bool dilation) =>
        (dilation
            ? new[] { PoolKernel, PoolStride, Kinds.Keys.Padding, Kinds.Keys.Dilation, Kinds.Keys.Ceil }
            : new[] { PoolKernel, PoolStride, Kinds.Keys.Padding, Kinds.Keys.Ceil }).ToEquatableArray();

    protected static T ReadWindow(SpecParser.RowReader r, T empty, bool dilation)
    {
        var kernel = r.Pair(PoolKernel);
        PoolSpec spec = empty;
        return (T)(spec with
        {
            Kernel = kernel ?? new Pair(1, 1),
            Stride = r.Pair(PoolStride) ?? kernel ?? new Pair(1, 1),
            Padding = r.Padding(Kinds.Keys.Padding) ?? PaddingSpec.Zero,
            Dilation = dilation ? r.Pair(Kinds.Keys.Dilation) ?? new Pair(1, 1) : new Pair(1, 1),
            Ceil = r.Bool(Kinds.Keys.Ceil) ?? false,
        });
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, T l)
    {
        checked
        {
            if (!step.NeedMap()) return null;
            var (h, w) = step.Window(l, pool: true);
            if (h is null || w is null) return null;
            bool native = step.Top == step.Bottom && step.Left == step.Right && step.Top <= l.Kernel.H / 2 && step.Left <= l.Kernel.W / 2;
            if (!native && l is AvgPoolSpec && l.Padding.Mode == PaddingMode.Same)
            {
                step.Report(DiagnosticDescriptors.Unsupported, l.Location,
                    $"{l.DisplayName}: Keras 'same' average pooling with uneven padding ({step.Top},{step.Bottom},{step.Left},{step.Right}) has no exact libtorch equivalent; use explicit padding or a kernel/stride that pads evenly");
                return null;
            }
            if (!native && l.Ceil)
            {
                step.Report(DiagnosticDescriptors.Unsupported, l.Location,
                    $"{l.DisplayName}: ceil mode with uneven padding ({step.Top},{step.Bottom},{step.Left},{step.Right}) is not supported; use even padding or no ceil");
                return null;
            }
            return step.Plan(Shape.Map(h.Value, w.Value, step.In.C)) with { NativePadding = native };
        }
    }

    protected override LayerWindow ReceptiveField(LayerPlan plan, T l) => SlidingWindow(l);

    protected override string Arithmetic(ShapeInference.ShapeStep step, T spec, Shape? declared) => step.WindowArithmetic(spec);

    protected string DescribeWindow(string what, T l)
    {
        var parts = new List<string> { $"{what} pool {Window(l.Kernel)}", $"stride {l.Stride}" };
        if (l.Ceil) parts.Add("ceil mode");
        return string.Join(", ", parts);
    }

    /// <summary>The TorchSharp constructor call: the window's arguments, then the module's own (<paramref name="rest"/>).</summary>
    protected static string ConstructWindow(string module, LayerPlan layer, T l, string rest) =>
        $"{Nn}.{module}(kernel_size: {Pair2(l.Kernel)}, stride: {Pair2(l.Stride)}, padding: {LayerPadding(layer)}, {rest})";

    protected static string Attributes(LayerPlan layer, T l, bool countIncludePad) =>
        $"new {Runtime}.PoolAttributes({Size(l.Kernel)}, {Size(l.Stride)}, {Padding(layer)}, {Size(l.Dilation)}, Ceil: {Bool(l.Ceil)}, CountIncludePad: {Bool(countIncludePad)})";
}

/// <summary><c>maxpool</c>: max pooling (TorchSharp <c>MaxPool2d</c>); uneven padding pads with minus infinity.</summary>
internal sealed class MaxPoolDefinition : PoolDefinition<MaxPoolSpec>
{
    public MaxPoolDefinition() : base(LayerKind.MaxPool, "pool", "Max pooling",
        "{ name: pool1, type: maxpool, kernel: 3, stride: 2, output: 27x27x96 }", "max_pool", "max_pool2d", "MaxPool2D", "pool") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = WindowKeys(dilation: true);
    public override bool PadsWithMinusInfinity => true;

    public override LayerSpec Read(SpecParser.RowReader r) => ReadWindow(r, new MaxPoolSpec(), dilation: true);

    protected override string Describe(LayerPlan plan, MaxPoolSpec l) => DescribeWindow("max", l);
    protected override string ModuleType(LayerPlan plan, MaxPoolSpec l) => $"{Modules}.MaxPool2d";
    protected override string Construct(LayerPlan layer, MaxPoolSpec l) =>
        ConstructWindow("MaxPool2d", layer, l, $"dilation: {Pair2(l.Dilation)}, ceil_mode: {Bool(l.Ceil)}");
    protected override string Attributes(LayerPlan layer, MaxPoolSpec l) => Attributes(layer, l, countIncludePad: false);
}

/// <summary><c>avgpool</c>: average pooling (TorchSharp <c>AvgPool2d</c>).</summary>
internal sealed class AvgPoolDefinition : PoolDefinition<AvgPoolSpec>
{
    public AvgPoolDefinition() : base(LayerKind.AvgPool, "avgpool", "Average pooling; with Keras' same padding the padded zeros are left out of the mean",
        "{ name: pool5, type: avgpool, kernel: 2, output: 3x3x256 }", "avg_pool", "avg_pool2d", "AvgPool2D", "average_pool", "AveragePooling2d") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = WindowKeys(dilation: false);

    public override LayerSpec Read(SpecParser.RowReader r) => ReadWindow(r, new AvgPoolSpec(), dilation: false);

    protected override string Describe(LayerPlan plan, AvgPoolSpec l) => DescribeWindow("average", l);
    protected override string ModuleType(LayerPlan plan, AvgPoolSpec l) => $"{Modules}.AvgPool2d";
    protected override string Construct(LayerPlan layer, AvgPoolSpec l) =>
        ConstructWindow("AvgPool2d", layer, l, $"ceil_mode: {Bool(l.Ceil)}, count_include_pad: {Bool(l.CountIncludePad)}");
    protected override string Attributes(LayerPlan layer, AvgPoolSpec l) => Attributes(layer, l, l.CountIncludePad);
}
