using static TorchSpecs.Generator.Kinds.Cs;

namespace TorchSpecs.Generator.Kinds;

/// <summary>A <c>dense</c> row.</summary>
internal sealed record DenseSpec : WeightedSpec
{
    public override LayerKind Kind => LayerKind.Dense;
    public int Units { get; init; }
}

/// <summary><c>dense</c>: a fully connected layer (TorchSharp <c>Linear</c>) on a flat input.</summary>
internal sealed class DenseDefinition : LayerDefinition<DenseSpec>
{
    public static readonly KeyDefinition Units = new("units", KeyType.Integer, "The number of output features", "4096")
    { Required = true, Range = ValueRange.Positive, Help = "the number of output features, e.g. units: 4096" };

    public DenseDefinition() : base(LayerKind.Dense, "fc", "A fully connected layer on a flat input",
        "{ name: fc6, type: dense, units: 4096, activation: relu, output: 4096 }", "fc", "fully_connected", "linear", "inner_product", "InnerProduct") { }

    public override EquatableArray<KeyDefinition> Keys { get; } = new[]
    {
        Units, Kinds.Keys.Activation, Kinds.Keys.WeightInit, Kinds.Keys.BiasInit, Kinds.Keys.Bias,
    }.ToEquatableArray();

    public override LayerSpec Read(SpecParser.RowReader r) => WeightedSpec.ReadWeights(r, new DenseSpec { Units = r.Int(Units) ?? 1 });

    protected override LayerPlan? Infer(ShapeInference.ShapeStep step, DenseSpec l)
    {
        checked
        {
            if (!step.NeedFlat()) return null;
            long units = l.Units;
            return step.Plan(Shape.Flat(units)) with
            {
                TrainableParams = step.In.C * units + (l.Bias ? units : 0),
                MultiplyAdds = step.In.C * units,
            };
        }
    }

    /// <summary>Every output depends on every input: rows from here on see the whole input.</summary>
    protected override LayerWindow ReceptiveField(LayerPlan plan, DenseSpec l) => LayerWindow.Everything;

    protected override string Arithmetic(ShapeInference.ShapeStep step, DenseSpec l, Shape? declared) => $"units = {l.Units}";
    protected override string Describe(LayerPlan plan, DenseSpec l) => $"dense {l.Units}";
    protected override string ModuleType(LayerPlan plan, DenseSpec l) => $"{Modules}.Linear";
    protected override string Construct(LayerPlan plan, DenseSpec l) => $"{Nn}.Linear({plan.Input.C}, {l.Units}, hasBias: {Bool(l.Bias)}, {OnDevice})";
    protected override string Attributes(LayerPlan plan, DenseSpec l) => $"new {Runtime}.DenseAttributes({l.Units}, {Bool(l.Bias)})";
}
