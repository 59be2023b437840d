
namespace TorchSpecs.Generator.Kinds;

/// <summary>A row with learned weights (<c>conv</c>, <c>dense</c>): the activation and initializer keys both take, read in one place.</summary>
internal abstract record WeightedSpec : LayerSpec, IActivatedSpec, IWeightedSpec
{
    public ActivationKind Activation { get; init; }
    public InitSpec WeightInit { get; init; } = InitSpec.Default;
    public double? BiasInit { get; init; }
    public bool Bias { get; init; } = true;

    /// <summary><paramref name="spec"/> (its own keys read) with the activation, <c>weight_init</c>, <c>bias_init</c> and <c>bias</c> keys read after them.</summary>
    public static T ReadWeights<T>(SpecParser.RowReader r, T spec) where T : WeightedSpec
    {
        WeightedSpec weighted = spec;
        return (T)(weighted with
        {
            Activation = r.Activation(Keys.Activation),
            WeightInit = r.Init(Keys.WeightInit),
            BiasInit = r.Number(Keys.BiasInit),
            Bias = r.Bool(Keys.Bias) ?? true,
        });
    }
}
