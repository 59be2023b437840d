using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>
/// An <c>lrn</c> row, in the convention it was written in: <see cref="DepthRadius"/> for
/// TensorFlow's form, <see cref="Size"/> for PyTorch's and Caffe's. Alpha, beta and k hold the
/// convention's defaults when the row leaves them out.
/// </summary>
internal sealed record LrnSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.Lrn;
    public int Size { get; init; } = 5;
    public int? DepthRadius { get; init; }
    public double Alpha { get; init; }
    public double Beta { get; init; }
    public double K { get; init; }
}

/// <summary><c>lrn</c>: local response normalization across channels (TorchSpecs.Layers.LocalResponseNorm).</summary>
internal sealed class LrnDefinition : LayerDefinition<LrnSpec>
{
    public static readonly KeyDefinition Size = new("size", KeyType.Integer,
        "PyTorch/Caffe convention: the channels in the window (alpha is divided by it)", "5")
    { Range = ValueRange.Positive, OneOf = "window", Help = "size: 5 (PyTorch/Caffe convention) or depth_radius: 2 (TensorFlow convention)" };
    public static readonly KeyDefinition DepthRadius = new("depth_radius", KeyType.Integer,
        "TensorFlow convention: the window is 2r + 1 channels and alpha is not divided", "2")
    { Range = ValueRange.NonNegative, OneOf = "window" };
    private static readonly ValueRange ZeroOrMore = new(0, true, null, false, "zero or more");
    public static readonly KeyDefinition Alpha = new("alpha", KeyType.Number, "The scale of the sum of squares", "1e-4")
    { Default = "1e-4 (size) or 1 (depth_radius)", Range = ZeroOrMore };
    public static readonly KeyDefinition Beta = new("beta", KeyType.Number, "The exponent", "0.75")
    { Default = "0.75 (size) or 0.5 (depth_radius)" };
    public static readonly KeyDefinition K = new("k", KeyType.Number, "The additive constant (TensorFlow's bias)", "2")
    { Default = "1", Range = ZeroOrMore };

    public LrnDefinition() : base(LayerKind.Lrn, "lrn", "Local response normalization across channels, in the convention of the framework the table comes from",
        "{ name: lrn1, type: lrn, size: 5, alpha: 1e-4, beta: 0.75, k: 2, output: 55x55x96 }", "local_response_norm", "local_response_normalization", "LocalResponseNormalization") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[] { Size, DepthRadius, Alpha, Beta, K }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r)
    {
        bool hasSize = r.Has("size"), hasRadius = r.Has("depth_radius");
        if (hasSize && hasRadius)
        {
            r.Report(DiagnosticDescriptors.ConflictingKeys, r.At("depth_radius"),
                $"{r.What} has both 'size' (PyTorch/Caffe: channels in the window, alpha divided by size) and 'depth_radius' (TensorFlow: 2r+1 channels, alpha not divided); keep the one of the framework the table comes from");
            return new LrnSpec();
        }
        if (!hasSize && !hasRadius)
        {
            r.Missing(Size);
            return new LrnSpec();
        }
        int? size = hasSize ? r.Int(Size) : null;
        int? radius = hasRadius ? r.Int(DepthRadius) : null;
        double? alpha = r.Number(Alpha), beta = r.Number(Beta), k = r.Number(K);
        return hasRadius
            ? new LrnSpec { Size = 2 * (radius ?? 0) + 1, DepthRadius = radius ?? 0, Alpha = alpha ?? 1, Beta = beta ?? 0.5, K = k ?? 1 }
            : new LrnSpec { Size = size ?? 5, Alpha = alpha ?? 1e-4, Beta = beta ?? 0.75, K = k ?? 1 };
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, LrnSpec l) => step.NeedMap() ? step.Plan(step.In) : null;

    protected override string Describe(LayerPlan plan, LrnSpec l) =>
        l.DepthRadius is int r ? $"local response norm (TensorFlow depth_radius {r})" : $"local response norm (size {l.Size})";
    protected override string ModuleType(LayerPlan plan, LrnSpec l) => $"{Modules}.LocalResponseNorm";
    protected override string Construct(LayerPlan plan, LrnSpec l) => l.DepthRadius is int radius
        ? $"{Runtime}.Layers.LocalResponseNorm.TensorFlow(depthRadius: {radius}, bias: {Num(l.K)}, alpha: {Num(l.Alpha)}, beta: {Num(l.Beta)})"
        : $"{Runtime}.Layers.LocalResponseNorm.PyTorch(size: {l.Size}, alpha: {Num(l.Alpha)}, beta: {Num(l.Beta)}, k: {Num(l.K)})";
    protected override string Attributes(LayerPlan plan, LrnSpec l) => l.DepthRadius is int radius
        ? $"new {Runtime}.LrnAttributes({2 * radius + 1}, {Num(l.Alpha * (2 * radius + 1))}, {Num(l.Beta)}, {Num(l.K)}, DepthRadius: {radius})"
        : $"new {Runtime}.LrnAttributes({l.Size}, {Num(l.Alpha)}, {Num(l.Beta)}, {Num(l.K)})";
}
