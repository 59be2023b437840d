using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A <c>flatten</c> row: no keys of its own.</summary>
internal sealed record FlattenSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.Flatten;
}

/// <summary>A <c>zeropad</c> row: explicit sides only.</summary>
internal sealed record ZeroPadSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.ZeroPad;
    public PaddingSpec Padding { get; init; } = PaddingSpec.Zero;
}

/// <summary>An <c>activation</c> row.</summary>
internal sealed record ActivationSpec : LayerSpec, IActivatedSpec
{
    public override LayerKind Kind => LayerKind.Activation;
    public ActivationKind Activation { get; init; }
}

/// <summary>
/// A kind with no keys of its own, whose words, module and attributes are the same on every row
/// (<c>flatten</c>, <c>global_avgpool</c>): they are constructor data. Each kind adds its shape rule.
/// </summary>
internal abstract class KeylessDefinition<T>(LayerKind kind, string namePrefix, string description, string example,
    string words, string moduleType, string construct, string attributesType, params string[] extraNames)
    : LayerDefinition<T>(kind, namePrefix, description, example, extraNames) where T : LayerSpec, new()
{
    public sealed override EquatableArray<KeyDefinition> Keys { get; } = EquatableArray<KeyDefinition>.Empty;

    public sealed override LayerSpec Read(SpecParser.RowReader r) => new T();

    protected sealed override string Describe(LayerPlan plan, T l) => words;
    protected sealed override string ModuleType(LayerPlan plan, T l) => moduleType;
    protected sealed override string Construct(LayerPlan plan, T l) => construct;
    protected sealed override string Attributes(LayerPlan plan, T l) => $"new {Runtime}.{attributesType}()";
}

/// <summary><c>flatten</c>: [N, C, H, W] to [N, C·H·W].</summary>
internal sealed class FlattenDefinition() : KeylessDefinition<FlattenSpec>(LayerKind.Flatten, "flatten",
    "Flattens the feature map to a vector (channels, then height, then width, as PyTorch)", "{ name: flatten, type: flatten, output: 9216 }",
    words: "flatten", moduleType: $"{Modules}.Flatten", construct: $"{Nn}.Flatten()", attributesType: "FlattenAttributes")
{
    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, FlattenSpec l) =>
        step.NeedMap() ? checked(step.Plan(Shape.Flat(step.In.Elements))) : null;
    protected override string Arithmetic(ShapeInference.ShapeStep step, FlattenSpec l, Shape? declared) =>
        $"{step.In.H} * {step.In.W} * {step.In.C} = {step.In.Elements}";
}

/// <summary><c>zeropad</c>: zero padding of the feature map (TorchSharp <c>ZeroPad2d</c>).</summary>
internal sealed class ZeroPadDefinition : LayerDefinition<ZeroPadSpec>
{
    public static readonly KeyDefinition Padding = Kinds.Keys.Padding with
    {
        Description = "p, [ph, pw] or [top, bottom, left, right]", Required = true, Default = null,
        Choices = EquatableArray<string>.Empty, Help = "p, [ph, pw] or [top, bottom, left, right]",
    };

    public ZeroPadDefinition() : base(LayerKind.ZeroPad, "pad", "Zero padding of the feature map",
        "{ name: pad1, type: zeropad, padding: [0, 1, 0, 1], output: 228x228x3 }", "zero_pad", "ZeroPad2D", "pad", "padding") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[] { Padding }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r)
    {
        if (!r.Has("padding"))
        {
            r.Missing(Padding, atRow: true);
            return new ZeroPadSpec();
        }
        var padding = r.Padding(Padding);
        if (padding is { Mode: not PaddingMode.Explicit })
        {
            r.Report(DiagnosticDescriptors.InvalidValue, r.At("padding"), "padding", padding.Mode.ToString().ToLowerInvariant(), "explicit sizes for a zeropad row");
            padding = null;
        }
        return new ZeroPadSpec { Padding = padding ?? PaddingSpec.Zero };
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, ZeroPadSpec l)
    {
        checked
        {
            if (!step.NeedMap()) return null;
            var p = l.Padding;
            step.Top = p.Top; step.Bottom = p.Bottom; step.Left = p.Left; step.Right = p.Right;
            return step.Plan(Shape.Map(step.In.H + p.Top + p.Bottom, step.In.W + p.Left + p.Right, step.In.C));
        }
    }

    protected override string Arithmetic(ShapeInference.ShapeStep step, ZeroPadSpec l, Shape? declared) =>
        $"{step.In.H} + {step.Top} + {step.Bottom} = {step.In.H + step.Top + step.Bottom}, {step.In.W} + {step.Left} + {step.Right} = {step.In.W + step.Left + step.Right}";
    protected override string Describe(LayerPlan p, ZeroPadSpec l) => $"zero padding (top {p.PadTop}, bottom {p.PadBottom}, left {p.PadLeft}, right {p.PadRight})";
    protected override string ModuleType(LayerPlan plan, ZeroPadSpec l) => $"{Modules}.ZeroPad2d";
    protected override string Construct(LayerPlan p, ZeroPadSpec l) => $"{Nn}.ZeroPad2d(({p.PadLeft}, {p.PadRight}, {p.PadTop}, {p.PadBottom}))";
    protected override string Attributes(LayerPlan plan, ZeroPadSpec l) => $"new {Runtime}.ZeroPadAttributes({Padding(plan)})";
}

/// <summary><c>activation</c>: a row that only applies an activation.</summary>
internal sealed class ActivationDefinition : LayerDefinition<ActivationSpec>
{
    public static readonly KeyDefinition Function = Kinds.Keys.Activation with
    {
        Required = true, Default = null, Help = "relu, tanh, sigmoid or softmax",
    };

    public ActivationDefinition() : base(LayerKind.Activation, "act", "A row that only applies an activation",
        "{ name: relu1, type: activation, activation: relu, output: 55x55x96 }", "relu", "tanh", "sigmoid", "softmax") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[] { Function }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r)
    {
        if (!r.Has("activation")) r.Missing(Function, atRow: true);
        return new ActivationSpec { Activation = r.Activation(Function) };
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, ActivationSpec l) => step.Plan(step.In);
    protected override string Describe(LayerPlan plan, ActivationSpec l) => "";
    protected override string ModuleType(LayerPlan plan, ActivationSpec l) => $"{Nn}.Module<{Tensor}, {Tensor}>";
    protected override string Construct(LayerPlan plan, ActivationSpec l) => l.Activation switch
    {
        ActivationKind.Relu => $"{Nn}.ReLU()",
        ActivationKind.Tanh => $"{Nn}.Tanh()",
        ActivationKind.Sigmoid => $"{Nn}.Sigmoid()",
        ActivationKind.Softmax => $"{Nn}.Softmax(1)",
        _ => $"{Nn}.Identity()",
    };
    protected override string Attributes(LayerPlan plan, ActivationSpec l) => $"new {Runtime}.ActivationAttributes()";
}
