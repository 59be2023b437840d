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

/// <summary>What the fixed-size kinds share: the <c>size</c> key, and the rule that the output is that size with the input's channels.</summary>
internal abstract class SizeDefinition<T> : LayerDefinition<T> where T : SizeSpec, new()
{
    protected SizeDefinition(LayerKind kind, string namePrefix, string description, string example, params string[] extraNames)
        : base(kind, namePrefix, description, example, extraNames) { }

    public sealed override EquatableArray<KeyDefinition> Keys { get; } = new[] { Kinds.Keys.TargetSize }.ToEquatableArray();

    public sealed override LayerSpec Read(SpecParser.RowReader r) => new T { Size = r.Size(Kinds.Keys.TargetSize) ?? new Pair(1, 1) };

    protected sealed override LayerPlan? Infer(ShapeInference.ShapeStep step, T l) =>
        step.NeedMap() ? step.Plan(Shape.Map(l.Size.H, l.Size.W, step.In.C)) : null;
    protected sealed override string Arithmetic(ShapeInference.ShapeStep step, T l, Shape? declared) =>
        $"size = {l.Size.H}x{l.Size.W}, channels kept = {step.In.C}";
}

/// <summary><c>adaptive_avgpool</c>: average pooling to a fixed output size (TorchSharp <c>AdaptiveAvgPool2d</c>, torchvision's avgpool).</summary>
internal sealed class AdaptiveAvgPoolDefinition : SizeDefinition<AdaptiveAvgPoolSpec>
{

    public AdaptiveAvgPoolDefinition() : base(LayerKind.AdaptiveAvgPool, "adaptive_avgpool", "Average pooling to a fixed output size, whatever the input size",
        "{ name: avgpool, type: adaptive_avgpool, size: 6x6, output: 6x6x256 }", "adaptive_avg_pool2d", "adaptive_avg_pool", "adaptive_pool") { }

    protected override string Describe(LayerPlan plan, AdaptiveAvgPoolSpec l) => $"adaptive average pool to {l.Size.H}x{l.Size.W}";
    protected override string ModuleType(LayerPlan plan, AdaptiveAvgPoolSpec l) => $"{Modules}.AdaptiveAvgPool2d";
    protected override string Construct(LayerPlan plan, AdaptiveAvgPoolSpec l) => $"{Nn}.AdaptiveAvgPool2d({Pair2(l.Size)})";
    protected override string Attributes(LayerPlan plan, AdaptiveAvgPoolSpec l) => $"new {Runtime}.AdaptiveAvgPoolAttributes({Size(l.Size)})";
}

/// <summary><c>resize</c>: bilinear resize to a fixed size (TorchSpecs.Layers.Resize, Keras' Resizing).</summary>
internal sealed class ResizeDefinition : SizeDefinition<ResizeSpec>
{

    public ResizeDefinition() : base(LayerKind.Resize, "resize", "Bilinear resize of the feature map to a fixed size (align_corners false, no antialiasing)",
        "{ name: resize, type: resize, size: 227x227, output: 227x227x3 }", "interpolate", "upsample", "Upsample") { }

    protected override string Describe(LayerPlan plan, ResizeSpec l) => $"bilinear resize to {l.Size.H}x{l.Size.W}";
    protected override string ModuleType(LayerPlan plan, ResizeSpec l) => $"{Runtime}.Layers.Resize";
    protected override string Construct(LayerPlan plan, ResizeSpec l) => $"new {Runtime}.Layers.Resize({l.Size.H}, {l.Size.W})";
    protected override string Attributes(LayerPlan plan, ResizeSpec l) => $"new {Runtime}.ResizeAttributes({Size(l.Size)})";
}
