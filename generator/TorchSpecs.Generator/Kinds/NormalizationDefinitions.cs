using System.Globalization;
using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A <c>batchnorm</c> row, eps and momentum in PyTorch's meaning with its defaults.</summary>
internal sealed record BatchNormSpec : LayerSpec, IActivatedSpec
{
    public override LayerKind Kind => LayerKind.BatchNorm;
    public double Eps { get; init; } = 1e-5;
    public double Momentum { get; init; } = 0.1;
    public ActivationKind Activation { get; init; }
}

/// <summary>A <c>dropout</c> row.</summary>
internal sealed record DropoutSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.Dropout;
    public double Rate { get; init; }
}

/// <summary><c>batchnorm</c>: batch normalization (BatchNorm2d on feature maps, BatchNorm1d on flat inputs).</summary>
internal sealed class BatchNormDefinition : LayerDefinition<BatchNormSpec>
{
    public static readonly KeyDefinition Eps = new("eps", KeyType.Number, "Added to the variance (PyTorch's default; Keras uses 1e-3)", "1e-3")
    { Default = "1e-5", Range = ValueRange.PositiveNumber };
    public static readonly KeyDefinition Momentum = new("momentum", KeyType.Number,
        "PyTorch's momentum, the weight of the new batch (Keras' 0.99 is 0.01 here)", "0.01")
    { Default = "0.1", Range = new ValueRange(0, true, 1, true, "between 0 and 1 (PyTorch's meaning: the weight of the new batch, default 0.1)") };
    public static readonly KeyDefinition Activation = Kinds.Keys.Activation with { Description = "An activation applied after the normalization (conv, batch norm, ReLU as torchvision's VGG-BN)" };

    public BatchNormDefinition() : base(LayerKind.BatchNorm, "bn", "Batch normalization; 4 values per channel, 2 trainable (gamma, beta) and 2 not (running mean and variance)",
        "{ name: bn1, type: batchnorm, output: 27x27x96 }", "batch_norm", "batchnorm2d", "bn", "BatchNorm") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[] { Eps, Momentum, Activation }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r)
    {
        var eps = r.Number(Eps);
        var momentum = r.Number(Momentum);
        var activation = r.Activation(Activation);
        if (momentum is > 0.5)
            r.Report(DiagnosticDescriptors.SuspiciousValue, r.At("momentum"),
                $"momentum {Kinds.Keys.Num(momentum.Value)} is PyTorch's weight of the new batch; Keras' momentum {Kinds.Keys.Num(momentum.Value)} is PyTorch's {Kinds.Keys.Num(Math.Round(1 - momentum.Value, 6))}");
        return new BatchNormSpec { Eps = eps ?? 1e-5, Momentum = momentum ?? 0.1, Activation = activation };
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, BatchNormSpec l) =>
        checked(step.Plan(step.In) with { TrainableParams = 2 * step.In.C, NonTrainableParams = 2 * step.In.C });

    protected override string Describe(LayerPlan plan, BatchNormSpec l) => "batch norm";
    protected override string ModuleType(LayerPlan plan, BatchNormSpec l) => plan.Input.IsFlat ? $"{Modules}.BatchNorm1d" : $"{Modules}.BatchNorm2d";
    protected override string Construct(LayerPlan plan, BatchNormSpec l) =>
        $"{Nn}.BatchNorm{(plan.Input.IsFlat ? "1" : "2")}d({plan.Input.C}, eps: {Num(l.Eps)}, momentum: {Num(l.Momentum)}, {OnDevice})";
    protected override string Attributes(LayerPlan plan, BatchNormSpec l) => $"new {Runtime}.BatchNormAttributes({Num(l.Eps)}, {Num(l.Momentum)})";
}

/// <summary><c>dropout</c>: drops activations with probability <c>rate</c> in training.</summary>
internal sealed class DropoutDefinition : LayerDefinition<DropoutSpec>
{
    public static readonly KeyDefinition Rate = new("rate", KeyType.Number, "The drop probability (not the keep probability)", "0.5")
    { Required = true, Range = new ValueRange(0, true, 1, false, "at least 0 and below 1"), Help = "the drop probability, e.g. rate: 0.5" };

    public DropoutDefinition() : base(LayerKind.Dropout, "drop", "Dropout: in training each activation is zeroed with probability rate; the identity in evaluation",
        "{ name: drop6, type: dropout, rate: 0.5, output: 4096 }", "Dropout2d") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[] { Rate }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r)
    {
        var rate = r.Number(Rate);
        if (rate is > 0.9)
            r.Report(DiagnosticDescriptors.SuspiciousValue, r.At("rate"),
                $"dropout rate {Kinds.Keys.Num(rate.Value)} drops more than 90% of the activations; did you mean {Kinds.Keys.Num(Math.Round(1 - rate.Value, 6))} (the keep probability)?");
        return new DropoutSpec { Rate = rate ?? 0 };
    }

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, DropoutSpec l) => step.Plan(step.In);
    protected override string Describe(LayerPlan plan, DropoutSpec l) => $"dropout {l.Rate.ToString(CultureInfo.InvariantCulture)}";
    protected override string ModuleType(LayerPlan plan, DropoutSpec l) => $"{Modules}.Dropout";
    protected override string Construct(LayerPlan plan, DropoutSpec l) => $"{Nn}.Dropout({Num(l.Rate)})";
    protected override string Attributes(LayerPlan plan, DropoutSpec l) => $"new {Runtime}.DropoutAttributes({Num(l.Rate)})";
}
