using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A <c>global_avgpool</c> row: no keys of its own.</summary>
internal sealed record GlobalAvgPoolSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.GlobalAvgPool;
}

/// <summary>
/// <c>global_avgpool</c>: the mean of each channel over the whole feature map, HxWxC to a flat C
/// (Keras' GlobalAveragePooling2D; NiN's and ResNet's head). No flatten row is needed after it.
/// </summary>
internal sealed class GlobalAvgPoolDefinition() : KeylessDefinition<GlobalAvgPoolSpec>(LayerKind.GlobalAvgPool, "global_pool",
    "Global average pooling: the mean of each channel over height and width, giving a flat vector of the channels", "{ name: gap, type: global_avgpool, output: 512 }",
    words: "global average pool", moduleType: $"{Runtime}.Layers.GlobalAvgPool", construct: $"new {Runtime}.Layers.GlobalAvgPool()", attributesType: "GlobalAvgPoolAttributes",
    "GlobalAvgPool2D", "global_average_pooling", "gap")
{
    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, GlobalAvgPoolSpec l) =>
        step.NeedMap() ? step.Plan(Shape.Flat(step.In.C)) : null;
    protected override string Arithmetic(ShapeInference.ShapeStep step, GlobalAvgPoolSpec l, Shape? declared) =>
        $"channels = {step.In.C}, each averaged over {step.In.H}x{step.In.W}";

    /// <summary>One window over the whole feature map.</summary>
    protected override LayerWindow ReceptiveField(LayerPlan plan, GlobalAvgPoolSpec l) =>
        new(new AxisWindow(plan.Input.H, plan.Input.H), new AxisWindow(plan.Input.W, plan.Input.W));
}
