using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A row whose one key is the target <c>size</c> of the feature map (<c>adaptive_avgpool</c>, <c>resize</c>).</summary>
internal abstract record SizeSpec : LayerSpec
{
    public Pair Size { get; init; }
}

/// <summary>An <c>adaptive_avgpool</c> row.</summary>
internal sealed record AdaptiveAvgPoolSpec : SizeSpec
{
    public override LayerKind Kind => LayerKind.AdaptiveAvgPool;
}

/// <summary>A <c>resize</c> row.</summary>
internal sealed record ResizeSpec : SizeSpec
{
    public override LayerKind Kind => LayerKind.Resize;
}

/// <summary>
/// What the fixed-size kinds share: the <c>size</c> key, the rule that the output is that size
/// with the input's channels, and the words, module type and attributes, which depend on the size
/// alone. Each kind adds its constructor call and its window along one axis (the receptive-field
/// rule), which the base applies to height and width.
/// </summary>
internal abstract class SizeDefinition<T>(LayerKind kind, string namePrefix, string description, string example,
    string operation, string moduleType, string attributesType, params string[] extraNames)
    : LayerDefinition<T>(kind, namePrefix, description, example, extraNames) where T : SizeSpec, new()
{
    public sealed override EquatableArray<KeyDefinition> Keys { get; } = new[] { Kinds.Keys.TargetSize }.ToEquatableArray();

    public sealed override LayerSpec Read(SpecParser.RowReader r) => new T { Size = r.Size(Kinds.Keys.TargetSize) ?? new Pair(1, 1) };

    protected sealed override LayerPlan? Infer(ShapeInference.ShapeStep step, T l) =>
        step.NeedMap() ? step.Plan(Shape.Map(l.Size.H, l.Size.W, step.In.C)) : null;
    protected sealed override string Arithmetic(ShapeInference.ShapeStep step, T l, Shape? declared) =>
        $"size = {l.Size.H}x{l.Size.W}, channels kept = {step.In.C}";
    protected sealed override string Describe(LayerPlan plan, T l) => $"{operation} to {l.Size.H}x{l.Size.W}";
    protected sealed override string ModuleType(LayerPlan plan, T l) => moduleType;
    protected sealed override string Attributes(LayerPlan plan, T l) => $"new {Runtime}.{attributesType}({Size(l.Size)})";

    protected sealed override LayerWindow ReceptiveField(LayerPlan plan, T l) =>
        new(Axis(plan.Input.H, l.Size.H), Axis(plan.Input.W, l.Size.W));

    /// <summary>The window along one axis that takes <paramref name="input"/> pixels to <paramref name="output"/>.</summary>
    protected abstract AxisWindow Axis(long input, int output);
}

/// <summary><c>adaptive_avgpool</c>: average pooling to a fixed output size (TorchSharp <c>AdaptiveAvgPool2d</c>, torchvision's avgpool).</summary>
internal sealed class AdaptiveAvgPoolDefinition() : SizeDefinition<AdaptiveAvgPoolSpec>(LayerKind.AdaptiveAvgPool, "adaptive_avgpool",
    "Average pooling to a fixed output size, whatever the input size", "{ name: avgpool, type: adaptive_avgpool, size: 6x6, output: 6x6x256 }",
    operation: "adaptive average pool", moduleType: $"{Modules}.AdaptiveAvgPool2d", attributesType: "AdaptiveAvgPoolAttributes",
    "adaptive_avg_pool2d", "adaptive_avg_pool", "adaptive_pool")
{
    protected override string Construct(LayerPlan plan, AdaptiveAvgPoolSpec l) => $"{Nn}.AdaptiveAvgPool2d({Pair2(l.Size)})";

    /// <summary>
    /// Output i averages input rows floor(i·in/out) to ceil((i+1)·in/out): when the sizes divide,
    /// a window of in/out with that stride; otherwise the windows overlap and vary by one, and the
    /// window is the largest (ceil(in/out) + 1) with the mean stride in/out.
    /// </summary>
    protected override AxisWindow Axis(long input, int output) => input % output == 0
        ? new(input / output, input / output)
        : new(Math.Ceiling((double)input / output) + 1, (double)input / output);
}

/// <summary><c>resize</c>: bilinear resize to a fixed size (TorchSpecs.Layers.Resize, Keras' Resizing).</summary>
internal sealed class ResizeDefinition() : SizeDefinition<ResizeSpec>(LayerKind.Resize, "resize",
    "Bilinear resize of the feature map to a fixed size (align_corners false, no antialiasing)", "{ name: resize, type: resize, size: 227x227, output: 227x227x3 }",
    operation: "bilinear resize", moduleType: $"{Runtime}.Layers.Resize", attributesType: "ResizeAttributes",
    "interpolate", "upsample", "Upsample")
{
    protected override string Construct(LayerPlan plan, ResizeSpec l) => $"new {Runtime}.Layers.Resize({l.Size.H}, {l.Size.W})";

    /// <summary>Each output pixel interpolates 2 neighbouring input pixels, one every in/out pixels (the identity when the size does not change).</summary>
    protected override AxisWindow Axis(long input, int output) => input == output ? AxisWindow.Identity : new(2, (double)input / output);
}
