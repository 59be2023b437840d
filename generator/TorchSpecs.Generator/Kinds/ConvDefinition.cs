using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A <c>conv</c> row: its keys with the defaults filled in.</summary>
internal sealed record ConvSpec : WeightedSpec, IWindowSpec
{
    public override LayerKind Kind => LayerKind.Conv;
    public Pair Kernel { get; init; }
    public int Filters { get; init; }
    public Pair Stride { get; init; } = new(1, 1);
    public PaddingSpec Padding { get; init; } = PaddingSpec.Zero;
    public int Groups { get; init; } = 1;
    public Pair Dilation { get; init; } = new(1, 1);
    bool IWindowSpec.Ceil => false;
}

/// <summary><c>conv</c>: a 2-D convolution (TorchSharp <c>Conv2d</c>).</summary>
internal sealed class ConvDefinition : LayerDefinition<ConvSpec>
{
    public static readonly KeyDefinition Filters = new("filters", KeyType.Integer, "The number of output channels", "64")
    { Required = true, Range = ValueRange.Positive, Help = "the number of output channels, e.g. filters: 64" };
    public static readonly KeyDefinition Groups = new("groups", KeyType.Integer, "Grouped convolution: the number of groups, dividing input channels and filters", "2")
    { Default = "1", Range = ValueRange.Positive };

    public ConvDefinition() : base(LayerKind.Conv, "conv", "A 2-D convolution",
        "{ name: conv1, type: conv, kernel: 11, filters: 96, stride: 4, activation: relu, output: 55x55x96 }", "Convolution2D") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[]
    {
        Kinds.Keys.Kernel, Filters, Kinds.Keys.Stride, Kinds.Keys.Padding, Groups, Kinds.Keys.Dilation,
        Kinds.Keys.Activation, Kinds.Keys.WeightInit, Kinds.Keys.BiasInit, Kinds.Keys.Bias,
    }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r) => WeightedSpec.ReadWeights(r, new ConvSpec
    {
        Kernel = r.Pair(Kinds.Keys.Kernel) ?? new Pair(1, 1),
        Filters = r.Int(Filters) ?? 1,
        Stride = r.Pair(Kinds.Keys.Stride) ?? new Pair(1, 1),
        Padding = r.Padding(Kinds.Keys.Padding) ?? PaddingSpec.Zero,
        Groups = r.Int(Groups) ?? 1,
        Dilation = r.Pair(Kinds.Keys.Dilation) ?? new Pair(1, 1),
    });

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, ConvSpec l)
    {
        checked
        {
            if (!step.NeedMap()) return null;
            var input = step.In;
            if (input.C % l.Groups != 0 || l.Filters % l.Groups != 0)
            {
                step.Report(DiagnosticDescriptors.GroupsDoNotDivide, l.Location, l.DisplayName, l.Groups, input.C, l.Filters);
                return null;
            }
            var (h, w) = step.Window(l, pool: false);
            if (h is null || w is null) return null;
            long perOutput = (long)l.Kernel.H * l.Kernel.W * (input.C / l.Groups);
            long weights = perOutput * l.Filters + (l.Bias ? l.Filters : 0);
            return step.Plan(Shape.Map(h.Value, w.Value, l.Filters)) with
            {
                TrainableParams = weights,
                MultiplyAdds = h.Value * w.Value * l.Filters * perOutput,
                NativePadding = step.Top == step.Bottom && step.Left == step.Right,
            };
        }
    }

    protected override LayerWindow ReceptiveField(LayerPlan plan, ConvSpec l) => SlidingWindow(l);

    protected override string Arithmetic(ShapeInference.ShapeStep step, ConvSpec l, Shape? declared)
    {
        string text = step.WindowArithmetic(l);
        if (declared is { IsFlat: false } map && map.C != l.Filters)
            text += $"; channels = filters = {l.Filters}";
        return text;
    }

    /// <summary>A hint when a documented size would follow from a little more input (the 224 vs 227 slip).</summary>
    protected override string Hint(ShapeInference.ShapeStep step, ConvSpec l, Shape declared)
    {
        if (declared.IsFlat) return "";
        var input = step.In;
        var k = l.Kernel;
        var s = l.Stride;
        long inferred = ShapeInference.WindowOutput(input.H, step.Top, step.Bottom, k.H, s.H, l.Dilation.H, false);
        if (declared.H <= inferred) return "";
        // The usual slip: a stride-1 conv documented as keeping its size, written without padding.
        long window = (long)(k.H - 1) * l.Dilation.H;
        bool paperSlip = input.H == 224 && k.H == 11 && s.H == 4 && declared.H == 55;
        if (!paperSlip && s.H == 1 && s.W == 1 && declared.H == input.H && declared.W == input.W && k.H == k.W && l.Dilation.H == l.Dilation.W &&
            window % 2 == 0 && l.Padding.Mode == PaddingMode.Explicit && step.Top == 0 && step.Bottom == 0 && step.Left == 0 && step.Right == 0)
            return $". padding: {window / 2} (or same) would keep {declared.H}x{declared.W}: add it to the row";
        for (int extra = 1; extra <= Math.Min((long)k.H + s.H, 64); extra++)
        {
            if (ShapeInference.WindowOutput(input.H + extra, step.Top, step.Bottom, k.H, s.H, l.Dilation.H, false) != declared.H) continue;
            string paper = paperSlip ? " (the AlexNet paper's 224 is a known slip for 227)" : "";
            return $". An input of {input.H + extra} would give {declared.H}{paper}: declare that input size or add a zeropad row of {extra} before {l.Name}";
        }
        return "";
    }

    protected override string Describe(LayerPlan plan, ConvSpec l)
    {
        var parts = new System.Collections.Generic.List<string> { $"conv {Window(l.Kernel)}", $"{l.Filters} filters" };
        if (l.Stride != new Pair(1, 1)) parts.Add($"stride {l.Stride}");
        if (l.Groups != 1) parts.Add($"groups {l.Groups}");
        if (l.Dilation != new Pair(1, 1)) parts.Add($"dilation {l.Dilation}");
        return string.Join(", ", parts);
    }

    protected override string ModuleType(LayerPlan plan, ConvSpec l) => $"{Modules}.Conv2d";

    protected override string Construct(LayerPlan layer, ConvSpec l) =>
        $"{Nn}.Conv2d({layer.Input.C}, {l.Filters}, kernel_size: {Pair2(l.Kernel)}, " +
        $"stride: {Pair2(l.Stride)}, padding: {LayerPadding(layer)}, dilation: {Pair2(l.Dilation)}, " +
        $"groups: {l.Groups}, bias: {Bool(l.Bias)}, {OnDevice})";

    protected override string Attributes(LayerPlan layer, ConvSpec l) =>
        $"new {Runtime}.ConvAttributes({l.Filters}, {Size(l.Kernel)}, {Size(l.Stride)}, {Padding(layer)}, {Size(l.Dilation)}, {l.Groups}, {Bool(l.Bias)})";
}
